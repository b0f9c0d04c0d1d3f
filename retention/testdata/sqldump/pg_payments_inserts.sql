--
-- PostgreSQL database dump
--

\restrict nxmalvRd1BWGlK0mXZ47rr2K2XXfn8yzwZfwd9W3TK8stYNDRjvNiYCCa0NmLx5

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: payments; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.payments (
    id integer NOT NULL,
    card_number numeric(19,0) NOT NULL,
    amount numeric(10,2)
);


ALTER TABLE public.payments OWNER TO postgres;

--
-- Data for Name: payments; Type: TABLE DATA; Schema: public; Owner: postgres
--

INSERT INTO public.payments VALUES (1, 4532019384765128, 19.99);
INSERT INTO public.payments VALUES (2, 5529130477128363, 5.00);


--
-- PostgreSQL database dump complete
--

\unrestrict nxmalvRd1BWGlK0mXZ47rr2K2XXfn8yzwZfwd9W3TK8stYNDRjvNiYCCa0NmLx5

