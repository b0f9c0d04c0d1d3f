--
-- PostgreSQL database dump
--

\restrict KRI0GevpQxMt8uQpQZSSXnuxD1NjqHyi86hJc8shQ4BCMRoYz8LWfUdfKFLFXgr

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
-- Name: app_users; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.app_users (
    id integer NOT NULL,
    username text,
    email text,
    password text,
    created_at timestamp with time zone
);


ALTER TABLE public.app_users OWNER TO postgres;

--
-- Name: orders; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.orders (
    order_id bigint NOT NULL,
    patient_id integer,
    amount numeric(10,2),
    status text
);


ALTER TABLE public.orders OWNER TO postgres;

--
-- Name: patients; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.patients (
    id integer NOT NULL,
    first_name text,
    last_name text,
    dob date,
    ssn character(9),
    phone character varying(20),
    email text,
    street_address text,
    diagnosis text,
    diagnosis_code_version text,
    medication text,
    notes text,
    status text
);


ALTER TABLE public.patients OWNER TO postgres;

--
-- Name: software_inventory; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.software_inventory (
    id integer NOT NULL,
    hostname text,
    version text,
    installed_at timestamp without time zone
);


ALTER TABLE public.software_inventory OWNER TO postgres;

--
-- Name: ssn_audit; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.ssn_audit (
    id integer NOT NULL,
    count integer,
    checked_on date
);


ALTER TABLE public.ssn_audit OWNER TO postgres;

--
-- Data for Name: app_users; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.app_users (id, username, email, password, created_at) FROM stdin;
1	mdelgado	maria.delgado@example.com	Spr1ngfield!2024	2024-01-01 09:00:00+00
2	tnowak	tnowak@example.org	hunter2-Kx9	2024-01-02 09:00:00+00
\.


--
-- Data for Name: orders; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.orders (order_id, patient_id, amount, status) FROM stdin;
4111111111111112	1	19.99	healthy
5500000000000005	2	45.00	shipped
3400000000000001	3	12.50	healthy
\.


--
-- Data for Name: patients; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.patients (id, first_name, last_name, dob, ssn, phone, email, street_address, diagnosis, diagnosis_code_version, medication, notes, status) FROM stdin;
1	Maria	Delgado	1984-03-12	536228741	2025550143	maria.delgado@example.com	742 Evergreen Terrace, Springfield	high blood pressure	ICD-10-CM 2024	lisinopril	follow-up in 3 months	healthy
2	Tomasz	Nowak	1979-11-02	412667309	2025550178	tnowak@example.org	18 Birch Lane, Dover	Type 2 diabetes	ICD-10-CM 2024	metformin	Patient's wife called\ttwice	active
3	Aiko	Tanaka	1992-07-30	301458822	3125550199	aiko.t@example.net	5 Harbour St, Portland	migraine without aura	ICD-10-CM 2023	sumatriptan	path C:\\temp\\x; said "ok"	healthy
4	Samuel	Okafor	\N	\N	\N	\N	\N	seasonal allergies	ICD-10-CM 2024	\N	\N	inactive
\.


--
-- Data for Name: software_inventory; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.software_inventory (id, hostname, version, installed_at) FROM stdin;
1	ws-017	6.1.1.0	2024-01-05 10:00:00
2	ws-018	10.0.17763.1	2024-01-05 10:01:00
3	db-01	2.4.1.12	2024-01-06 08:30:00
4	db-02	5.7.44.1	2024-01-06 08:31:00
\.


--
-- Data for Name: ssn_audit; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.ssn_audit (id, count, checked_on) FROM stdin;
1	123456789	2024-02-01
2	412667310	2024-02-02
\.


--
-- Name: patients patients_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.patients
    ADD CONSTRAINT patients_pkey PRIMARY KEY (id);


--
-- PostgreSQL database dump complete
--

\unrestrict KRI0GevpQxMt8uQpQZSSXnuxD1NjqHyi86hJc8shQ4BCMRoYz8LWfUdfKFLFXgr

