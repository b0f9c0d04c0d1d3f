--
-- PostgreSQL database dump
--

\restrict cKRXEXn9mKnBCxJqi3wXd9ACxzwLbWsdseor2ZS6QaUVJxYH1AwYtnvEbXf9qcS

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
-- Name: customers; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.customers (
    id integer NOT NULL,
    email text,
    dob date,
    phone character varying(12),
    card_number numeric(19,0),
    last_ip inet,
    note text,
    country character(2)
);


ALTER TABLE public.customers OWNER TO postgres;

--
-- Data for Name: customers; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.customers (id, email, dob, phone, card_number, last_ip, note, country) FROM stdin;
1	marta.kowalczyk@example.org	1984-03-17	+48601234567	4532019384765128	81.2.69.142	call back at marta.kowalczyk@example.org	PL
2	jonas.berg@example.net	1979-11-02	+46701234567	5529130477128363	81.2.69.160	no notes	SE
\.


--
-- Name: customers customers_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.customers
    ADD CONSTRAINT customers_pkey PRIMARY KEY (id);


--
-- PostgreSQL database dump complete
--

\unrestrict cKRXEXn9mKnBCxJqi3wXd9ACxzwLbWsdseor2ZS6QaUVJxYH1AwYtnvEbXf9qcS

