--
-- PostgreSQL database dump
--

\restrict scrubphiExampleHospitalRestrictKey0000000000000000000000000000

-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)
-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)

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

--
-- Name: clinic; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA clinic;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: Lab Results; Type: TABLE; Schema: clinic; Owner: -
--

CREATE TABLE clinic."Lab Results" (
    "Patient ID" integer NOT NULL,
    "Test Name" text NOT NULL,
    "Result Value" text,
    "Collected At" timestamp with time zone NOT NULL
);


--
-- Name: claims; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.claims (
    id integer NOT NULL,
    encounter_id integer NOT NULL,
    member_ssn text,
    amount numeric(10,2) NOT NULL
);


--
-- Name: claims_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.claims_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: claims_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.claims_id_seq OWNED BY public.claims.id;


--
-- Name: contacts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.contacts (
    patient_id integer NOT NULL,
    phones text[]
);


--
-- Name: encounters; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.encounters (
    id integer NOT NULL,
    patient_id integer NOT NULL,
    admitted_at timestamp without time zone NOT NULL,
    discharged_on date,
    diagnosis_code text,
    attending text
);


--
-- Name: encounters_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.encounters_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: encounters_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.encounters_id_seq OWNED BY public.encounters.id;


--
-- Name: icd_codes; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.icd_codes (
    code text NOT NULL,
    description text NOT NULL
);


--
-- Name: patients; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.patients (
    id integer NOT NULL,
    mrn text NOT NULL,
    first_name text NOT NULL,
    last_name text NOT NULL,
    ssn text,
    dob date NOT NULL,
    phone text,
    email text,
    street text,
    city text,
    state character(2),
    zip text,
    insurance_member_id text,
    notes text DEFAULT ''::text NOT NULL
);


--
-- Name: patients_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.patients_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: patients_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.patients_id_seq OWNED BY public.patients.id;


--
-- Name: sessions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sessions (
    id integer NOT NULL,
    token text NOT NULL,
    user_agent text
);


--
-- Name: sessions_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.sessions_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: sessions_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.sessions_id_seq OWNED BY public.sessions.id;


--
-- Name: claims id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.claims ALTER COLUMN id SET DEFAULT nextval('public.claims_id_seq'::regclass);


--
-- Name: encounters id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.encounters ALTER COLUMN id SET DEFAULT nextval('public.encounters_id_seq'::regclass);


--
-- Name: patients id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.patients ALTER COLUMN id SET DEFAULT nextval('public.patients_id_seq'::regclass);


--
-- Name: sessions id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sessions ALTER COLUMN id SET DEFAULT nextval('public.sessions_id_seq'::regclass);


--
-- Data for Name: Lab Results; Type: TABLE DATA; Schema: clinic; Owner: -
--

COPY clinic."Lab Results" ("Patient ID", "Test Name", "Result Value", "Collected At") FROM stdin;
1	Potassium	4.6 mmol/L	2024-03-30 05:11:00+00
1	Hemoglobin A1c	8.3 %	2024-03-30 07:52:00+00
1	Potassium	5.2 mmol/L	2023-10-02 09:49:00+00
2	Hemoglobin A1c	6.4 %	2024-12-17 20:52:00+00
3	Potassium	4.4 mmol/L	2024-11-02 22:38:00+00
3	Potassium	5.3 mmol/L	2024-11-02 22:55:00+00
3	WBC	7.5 10^3/uL	2023-01-14 17:56:00+00
3	Hemoglobin A1c	6.5 %	2023-01-14 17:30:00+00
3	LDL Cholesterol	99.1 mg/dL	2023-01-14 17:05:00+00
4	LDL Cholesterol	100.0 mg/dL	2024-11-14 17:47:00+00
4	Hemoglobin A1c	7.3 %	2024-11-14 20:44:00+00
4	Hemoglobin A1c	9.3 %	2024-11-14 16:01:00+00
4	Potassium	4.9 mmol/L	2024-05-16 18:56:00+00
5	Potassium	4.8 mmol/L	2024-05-18 01:06:00+00
5	TSH	2.0 mIU/L	2024-11-10 14:38:00+00
5	TSH	2.7 mIU/L	2024-11-10 20:43:00+00
6	TSH	5.6 mIU/L	2023-05-08 09:56:00+00
6	Potassium	4.1 mmol/L	2023-05-08 02:42:00+00
6	Creatinine	1.6 mg/dL	2024-12-25 19:06:00+00
6	Potassium	5.3 mmol/L	2024-12-25 17:00:00+00
6	TSH	3.7 mIU/L	2024-12-25 15:15:00+00
6	Creatinine	1.8 mg/dL	2023-12-22 21:47:00+00
6	LDL Cholesterol	183.3 mg/dL	2023-12-22 13:10:00+00
6	WBC	8.1 10^3/uL	2023-12-22 19:12:00+00
6	LDL Cholesterol	66.6 mg/dL	2023-05-27 06:05:00+00
6	Hemoglobin A1c	7.0 %	2023-05-27 05:17:00+00
7	LDL Cholesterol	84.5 mg/dL	2024-01-31 17:55:00+00
7	TSH	5.1 mIU/L	2023-03-13 09:53:00+00
7	WBC	10.1 10^3/uL	2023-03-13 11:37:00+00
7	Potassium	4.6 mmol/L	2024-03-09 11:06:00+00
8	Potassium	3.8 mmol/L	2023-11-07 08:40:00+00
8	Potassium	4.2 mmol/L	2023-11-07 02:52:00+00
8	LDL Cholesterol	108.9 mg/dL	2024-08-22 15:07:00+00
8	Potassium	4.9 mmol/L	2024-08-22 20:42:00+00
8	Potassium	4.9 mmol/L	2024-08-22 15:36:00+00
8	TSH	6.0 mIU/L	2023-03-27 17:56:00+00
8	WBC	13.4 10^3/uL	2023-03-27 16:15:00+00
9	TSH	0.6 mIU/L	2023-12-28 00:11:00+00
9	TSH	3.4 mIU/L	2023-09-05 20:52:00+00
9	LDL Cholesterol	182.3 mg/dL	2023-09-06 01:23:00+00
10	WBC	5.6 10^3/uL	2024-07-01 09:27:00+00
10	Potassium	4.7 mmol/L	2024-07-01 11:01:00+00
10	Potassium	4.4 mmol/L	2024-07-01 06:54:00+00
11	WBC	9.6 10^3/uL	2023-01-10 00:04:00+00
11	WBC	11.5 10^3/uL	2023-01-10 05:42:00+00
11	TSH	2.6 mIU/L	2023-01-09 22:44:00+00
11	Potassium	5.1 mmol/L	2023-01-24 04:55:00+00
11	LDL Cholesterol	138.0 mg/dL	2023-01-24 05:13:00+00
11	Creatinine	1.0 mg/dL	2024-09-22 03:45:00+00
11	LDL Cholesterol	91.0 mg/dL	2024-09-22 01:27:00+00
11	Hemoglobin A1c	5.8 %	2023-07-18 14:40:00+00
11	Potassium	5.2 mmol/L	2023-07-18 12:25:00+00
13	LDL Cholesterol	89.4 mg/dL	2023-11-05 17:56:00+00
13	Potassium	5.0 mmol/L	2023-11-05 21:13:00+00
13	LDL Cholesterol	145.8 mg/dL	2024-09-15 03:03:00+00
14	Creatinine	0.8 mg/dL	2024-01-21 10:38:00+00
14	Creatinine	1.4 mg/dL	2024-01-21 05:50:00+00
14	Potassium	5.0 mmol/L	2024-01-21 11:08:00+00
14	WBC	5.3 10^3/uL	2024-07-19 21:47:00+00
14	Hemoglobin A1c	9.3 %	2024-07-19 18:12:00+00
14	Creatinine	1.8 mg/dL	2024-07-19 18:02:00+00
14	TSH	5.7 mIU/L	2024-04-16 04:06:00+00
14	WBC	6.1 10^3/uL	2024-04-16 04:26:00+00
15	Potassium	5.4 mmol/L	2024-03-24 16:31:00+00
15	LDL Cholesterol	61.2 mg/dL	2023-11-19 05:55:00+00
15	Potassium	4.5 mmol/L	2023-11-18 21:12:00+00
15	LDL Cholesterol	130.3 mg/dL	2023-11-19 03:59:00+00
16	WBC	5.0 10^3/uL	2024-07-19 02:23:00+00
18	Potassium	4.4 mmol/L	2023-07-03 12:13:00+00
18	Hemoglobin A1c	6.7 %	2023-07-03 20:11:00+00
19	Hemoglobin A1c	7.5 %	2024-05-17 01:20:00+00
20	LDL Cholesterol	174.3 mg/dL	2023-07-09 03:47:00+00
20	Potassium	4.5 mmol/L	2023-07-08 22:48:00+00
20	Creatinine	1.8 mg/dL	2023-11-01 05:44:00+00
20	TSH	4.8 mIU/L	2023-11-01 07:09:00+00
20	Hemoglobin A1c	6.4 %	2023-11-01 07:11:00+00
21	Potassium	5.2 mmol/L	2023-08-27 08:56:00+00
21	Creatinine	1.3 mg/dL	2023-08-27 06:58:00+00
21	Potassium	3.7 mmol/L	2023-03-31 22:51:00+00
21	Hemoglobin A1c	9.5 %	2023-03-31 19:57:00+00
21	Hemoglobin A1c	5.3 %	2023-04-01 02:54:00+00
22	Potassium	5.2 mmol/L	2024-08-23 21:19:00+00
22	Potassium	3.7 mmol/L	2024-08-24 02:48:00+00
22	LDL Cholesterol	62.2 mg/dL	2024-08-24 01:03:00+00
23	TSH	4.9 mIU/L	2024-11-26 11:51:00+00
23	Hemoglobin A1c	4.9 %	2023-08-27 15:08:00+00
23	Potassium	3.4 mmol/L	2023-08-27 19:23:00+00
23	TSH	0.6 mIU/L	2023-08-27 15:18:00+00
25	Hemoglobin A1c	6.9 %	2023-12-12 20:41:00+00
25	Creatinine	0.7 mg/dL	2023-12-12 19:50:00+00
25	Potassium	3.6 mmol/L	2024-08-31 01:59:00+00
25	Potassium	3.3 mmol/L	2023-05-08 07:13:00+00
26	LDL Cholesterol	114.7 mg/dL	2023-07-10 12:33:00+00
26	Potassium	3.4 mmol/L	2024-09-26 07:14:00+00
26	LDL Cholesterol	61.2 mg/dL	2024-09-26 12:29:00+00
26	TSH	5.1 mIU/L	2023-06-09 02:37:00+00
27	Hemoglobin A1c	5.9 %	2023-06-12 10:35:00+00
27	Hemoglobin A1c	8.1 %	2023-06-12 12:45:00+00
27	Potassium	4.4 mmol/L	2023-04-08 14:20:00+00
27	WBC	4.7 10^3/uL	2023-04-08 16:18:00+00
27	Creatinine	0.5 mg/dL	2023-04-08 18:32:00+00
30	TSH	2.9 mIU/L	2023-11-01 08:59:00+00
30	Creatinine	1.2 mg/dL	2023-11-01 03:31:00+00
30	Hemoglobin A1c	6.7 %	2023-11-01 09:10:00+00
30	WBC	13.6 10^3/uL	2023-08-20 07:19:00+00
30	TSH	2.2 mIU/L	2023-08-20 04:57:00+00
30	Creatinine	1.0 mg/dL	2023-08-20 06:19:00+00
30	Hemoglobin A1c	8.7 %	2024-07-13 07:28:00+00
30	TSH	3.4 mIU/L	2024-11-27 00:49:00+00
30	Potassium	3.6 mmol/L	2024-11-27 00:22:00+00
30	TSH	2.8 mIU/L	2024-11-27 04:39:00+00
31	Hemoglobin A1c	6.5 %	2024-08-31 06:30:00+00
31	Hemoglobin A1c	8.5 %	2024-01-05 04:40:00+00
31	WBC	10.7 10^3/uL	2024-06-23 10:43:00+00
32	Creatinine	1.2 mg/dL	2023-09-17 17:52:00+00
32	Creatinine	1.2 mg/dL	2023-09-17 13:12:00+00
32	WBC	9.6 10^3/uL	2023-09-17 14:49:00+00
32	TSH	4.2 mIU/L	2023-06-12 16:47:00+00
32	TSH	5.1 mIU/L	2024-09-26 15:44:00+00
33	Hemoglobin A1c	5.2 %	2024-12-10 21:03:00+00
33	Potassium	3.6 mmol/L	2023-08-20 18:15:00+00
33	TSH	2.9 mIU/L	2023-08-20 14:47:00+00
33	LDL Cholesterol	102.5 mg/dL	2023-08-20 19:36:00+00
34	LDL Cholesterol	164.2 mg/dL	2023-11-04 16:29:00+00
34	Creatinine	1.2 mg/dL	2023-11-04 16:12:00+00
34	LDL Cholesterol	141.2 mg/dL	2023-11-04 20:17:00+00
34	TSH	2.2 mIU/L	2023-08-06 00:20:00+00
34	TSH	0.7 mIU/L	2023-08-06 00:21:00+00
34	TSH	5.2 mIU/L	2023-08-06 06:26:00+00
34	Hemoglobin A1c	8.0 %	2024-02-22 17:58:00+00
34	Potassium	3.5 mmol/L	2024-02-22 22:21:00+00
35	Hemoglobin A1c	5.3 %	2023-07-06 06:34:00+00
36	Hemoglobin A1c	5.3 %	2023-09-01 09:12:00+00
36	WBC	13.5 10^3/uL	2024-05-15 18:46:00+00
36	WBC	10.8 10^3/uL	2023-01-12 09:27:00+00
36	WBC	8.4 10^3/uL	2023-01-12 12:37:00+00
36	Hemoglobin A1c	8.2 %	2023-01-12 11:31:00+00
36	WBC	7.1 10^3/uL	2024-04-11 19:42:00+00
37	Creatinine	1.4 mg/dL	2024-04-12 18:31:00+00
37	Creatinine	1.6 mg/dL	2024-04-12 16:43:00+00
37	WBC	9.3 10^3/uL	2024-04-12 10:29:00+00
37	Creatinine	1.2 mg/dL	2024-06-20 19:50:00+00
37	TSH	6.0 mIU/L	2024-06-20 22:16:00+00
37	WBC	5.8 10^3/uL	2024-06-20 21:57:00+00
37	LDL Cholesterol	78.2 mg/dL	2023-08-31 10:28:00+00
37	LDL Cholesterol	136.4 mg/dL	2023-08-31 09:21:00+00
37	Creatinine	1.7 mg/dL	2023-08-31 12:39:00+00
38	Potassium	4.2 mmol/L	2024-01-16 05:45:00+00
38	WBC	13.4 10^3/uL	2024-01-16 08:00:00+00
39	TSH	5.6 mIU/L	2024-01-10 23:02:00+00
39	Creatinine	1.8 mg/dL	2024-01-10 22:43:00+00
39	LDL Cholesterol	187.1 mg/dL	2024-01-10 19:33:00+00
40	WBC	10.6 10^3/uL	2024-02-02 10:33:00+00
40	Creatinine	1.3 mg/dL	2024-04-30 09:20:00+00
41	TSH	4.2 mIU/L	2024-07-05 20:42:00+00
41	LDL Cholesterol	97.3 mg/dL	2024-07-05 23:13:00+00
41	Hemoglobin A1c	6.8 %	2024-05-19 05:00:00+00
41	LDL Cholesterol	148.8 mg/dL	2024-05-19 04:41:00+00
41	LDL Cholesterol	166.4 mg/dL	2023-08-25 15:14:00+00
42	WBC	5.0 10^3/uL	2023-12-02 05:08:00+00
43	Hemoglobin A1c	4.8 %	2024-10-23 05:08:00+00
43	Potassium	3.5 mmol/L	2024-10-23 05:44:00+00
43	TSH	5.1 mIU/L	2024-10-23 02:39:00+00
43	Hemoglobin A1c	4.9 %	2023-03-30 04:59:00+00
44	Potassium	4.8 mmol/L	2023-05-26 17:42:00+00
44	Potassium	4.0 mmol/L	2024-04-22 21:13:00+00
44	LDL Cholesterol	118.3 mg/dL	2024-04-22 20:59:00+00
44	TSH	3.8 mIU/L	2024-04-22 19:23:00+00
45	Hemoglobin A1c	6.5 %	2024-07-12 13:05:00+00
45	Creatinine	0.5 mg/dL	2024-07-12 19:10:00+00
45	Potassium	5.3 mmol/L	2024-03-15 20:09:00+00
45	LDL Cholesterol	163.1 mg/dL	2024-03-16 00:00:00+00
45	LDL Cholesterol	86.4 mg/dL	2024-09-05 02:19:00+00
45	Potassium	5.1 mmol/L	2024-09-04 23:29:00+00
45	Creatinine	0.8 mg/dL	2024-09-04 22:32:00+00
45	LDL Cholesterol	122.5 mg/dL	2023-07-19 15:21:00+00
46	TSH	5.1 mIU/L	2024-07-19 23:34:00+00
46	Potassium	4.9 mmol/L	2024-07-19 18:51:00+00
46	TSH	4.8 mIU/L	2024-07-20 00:30:00+00
46	Hemoglobin A1c	5.1 %	2024-11-17 04:38:00+00
46	Creatinine	0.6 mg/dL	2024-11-17 05:41:00+00
46	Hemoglobin A1c	9.1 %	2024-08-17 17:24:00+00
46	Potassium	3.4 mmol/L	2024-08-17 16:59:00+00
46	WBC	10.0 10^3/uL	2024-11-24 06:36:00+00
46	Hemoglobin A1c	5.8 %	2024-11-24 07:46:00+00
46	Hemoglobin A1c	6.9 %	2024-11-24 08:41:00+00
47	TSH	2.1 mIU/L	2024-12-04 12:10:00+00
47	Creatinine	1.1 mg/dL	2024-12-04 13:06:00+00
49	TSH	2.8 mIU/L	2024-12-26 04:19:00+00
49	LDL Cholesterol	172.8 mg/dL	2024-12-26 01:15:00+00
\.


--
-- Data for Name: claims; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.claims (id, encounter_id, member_ssn, amount) FROM stdin;
1	1	431-61-4241	5394.49
2	1	431-61-4241	5446.68
3	2	431-61-4241	9418.93
4	5	379-34-0754	246.46
5	6	379-34-0754	4620.58
6	6	379-34-0754	3325.61
7	8	322-56-0294	3773.62
8	8	322-56-0294	2238.11
9	9	432-63-6334	3489.61
10	10	432-63-6334	74.52
11	12	432-63-6334	8311.14
12	15	\N	8561.94
13	15	\N	1029.89
14	20	323-08-2411	8894.95
15	20	323-08-2411	4011.08
16	23	576-55-2882	593.50
17	24	576-55-2882	3565.32
18	24	576-55-2882	1565.68
19	28	603-29-8865	7111.10
20	28	603-29-8865	2182.88
21	29	314-12-8016	8104.44
22	29	314-12-8016	7592.57
23	30	038-63-2779	8847.43
24	32	038-63-2779	1207.50
25	32	038-63-2779	8436.68
26	33	038-63-2779	811.95
27	33	038-63-2779	2047.98
28	34	621-35-3047	1496.70
29	34	621-35-3047	8285.09
30	35	621-35-3047	5845.34
31	37	379-51-3808	1997.00
32	37	379-51-3808	4657.77
33	39	379-51-3808	5029.54
34	39	379-51-3808	7303.38
35	40	599-23-6235	7038.44
36	41	599-23-6235	2906.54
37	42	599-23-6235	3570.65
38	42	599-23-6235	8456.53
39	43	138-67-1158	2675.93
40	44	138-67-1158	6946.64
41	45	138-67-1158	5052.12
42	46	623-71-6305	400.17
43	50	152-47-8591	7793.08
44	51	152-47-8591	3233.65
45	51	152-47-8591	7896.43
46	53	302-30-5951	5723.73
47	53	302-30-5951	8393.05
48	55	302-30-5951	6889.77
49	57	370-39-0311	7222.67
50	58	370-39-0311	5604.88
51	59	370-39-0311	5507.08
52	60	110-68-3552	6935.96
53	60	110-68-3552	890.25
54	61	110-68-3552	5497.15
55	61	110-68-3552	9105.03
56	62	341-95-9067	3885.20
57	62	341-95-9067	992.91
58	64	341-95-9067	5741.25
59	64	341-95-9067	464.24
60	65	141-46-5056	5681.16
61	68	583-80-5702	207.41
62	68	583-80-5702	8277.71
63	69	583-80-5702	6030.13
64	69	583-80-5702	6739.44
65	70	\N	6070.64
66	70	\N	9118.41
67	72	\N	6920.17
68	72	\N	3635.10
69	74	396-22-6388	4284.59
70	76	633-84-5393	6457.95
71	76	633-84-5393	7617.92
72	77	336-20-0140	3777.75
73	78	342-40-0984	7020.21
74	78	342-40-0984	6208.82
75	81	342-40-0984	1110.70
76	81	342-40-0984	4094.51
77	82	156-54-8922	7004.69
78	83	156-54-8922	858.29
79	84	156-54-8922	6920.73
80	85	156-54-8922	8382.33
81	86	523-83-9955	2929.18
82	88	523-83-9955	2443.52
83	88	523-83-9955	519.03
84	89	177-01-8515	3594.80
85	89	177-01-8515	7564.36
86	90	177-01-8515	8937.17
87	90	177-01-8515	4066.93
88	92	613-03-4451	8582.59
89	92	613-03-4451	1212.91
90	97	117-81-6901	9422.40
91	97	117-81-6901	1032.44
92	98	080-91-8592	7359.28
93	99	080-91-8592	7869.64
94	100	080-91-8592	7142.37
95	101	080-91-8592	5585.91
96	102	663-82-1722	3002.61
97	105	003-61-8611	2462.07
98	106	604-46-5535	1000.24
99	107	111-45-2067	1993.06
100	108	111-45-2067	1391.62
101	108	111-45-2067	6308.08
102	110	157-48-2367	4644.69
103	111	157-48-2367	5423.40
104	111	157-48-2367	3188.91
105	112	029-34-1692	6452.43
106	112	029-34-1692	3489.36
107	113	174-40-1844	8913.80
108	113	174-40-1844	5601.18
109	114	174-40-1844	8095.71
110	116	174-40-1844	4290.55
111	116	174-40-1844	8616.45
112	117	329-88-8228	224.46
113	118	329-88-8228	4425.85
114	118	329-88-8228	9147.76
115	119	054-11-5268	7298.23
116	122	054-11-5268	8643.55
117	123	073-22-8803	2094.19
118	123	073-22-8803	8536.81
119	124	073-22-8803	6424.41
120	126	073-22-8803	357.65
121	128	376-28-8076	6808.91
122	128	376-28-8076	248.75
123	129	651-64-5734	6638.19
\.


--
-- Data for Name: contacts; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.contacts (patient_id, phones) FROM stdin;
4	{"(571) 612-9146"}
5	{"(872) 555-5970","(745) 337-2350","(853) 596-0285"}
7	{"(985) 371-4038"}
8	{"(485) 671-5195","(805) 527-1159","(358) 515-3138"}
10	{"(334) 692-8827","(821) 616-8095","(317) 520-9079"}
12	{"(685) 275-3491","(899) 440-8943","(541) 505-3021"}
15	{"(438) 639-3563","(375) 382-4364"}
17	{"(588) 542-7833","(728) 339-6312","(734) 990-2980"}
18	{"(612) 752-1004","(966) 985-5194"}
20	{"(562) 350-1084"}
21	{"(802) 533-2846","(696) 644-1101","(517) 353-7350"}
22	{"(248) 586-8756","(974) 587-6635","(512) 275-5686"}
24	{"(770) 932-6660"}
28	{"(376) 591-5047"}
30	{"(579) 610-8229","(413) 483-0278"}
31	{"(312) 297-3204","(899) 904-5787","(945) 639-4651"}
32	{"(679) 849-6792"}
33	{"(418) 440-7907","(454) 214-4584","(871) 332-8408"}
35	{"(696) 791-0181","(327) 957-0958","(911) 446-1944"}
36	{"(237) 659-5992","(692) 532-7988"}
37	{"(479) 782-0549","(499) 798-7844"}
41	{"(835) 578-5645","(687) 624-6662","(631) 514-9223"}
42	{"(726) 399-1676"}
43	{"(285) 857-7772","(449) 702-2265"}
45	{"(912) 591-1398"}
50	{"(630) 755-6432"}
\.


--
-- Data for Name: encounters; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.encounters (id, patient_id, admitted_at, discharged_on, diagnosis_code, attending) FROM stdin;
1	1	2024-03-29 22:53:00	\N	G43.909	Dr. Yuki Sato
2	1	2023-10-02 03:41:00	2023-10-11	M54.5	Dr. Helen Okonkwo
3	2	2023-11-10 14:09:00	\N	J06.9	Dr. Kwame Asante
4	2	2024-02-12 04:12:00	2024-02-14	M54.5	Dr. Kwame Asante
5	2	2024-12-17 15:29:00	2024-12-20	F32.9	Dr. Samuel Reyes
6	2	2024-12-01 04:55:00	2024-12-06	Z00.00	Dr. Arjun Mehta
7	3	2024-11-02 20:25:00	2024-11-02	I10	Dr. Yuki Sato
8	3	2023-01-14 09:56:00	2023-01-19	E11.9	Dr. Kwame Asante
9	4	2024-11-14 14:09:00	2024-11-16	F32.9	Dr. Ingrid Solberg
10	4	2024-05-16 12:47:00	2024-05-16	J45.909	Dr. Helen Okonkwo
11	4	2024-07-19 03:29:00	2024-07-19	Z00.00	Dr. Arjun Mehta
12	4	2024-08-04 16:59:00	2024-08-07	J45.909	Dr. Helen Okonkwo
13	5	2024-05-17 19:04:00	2024-05-18	R07.9	Dr. Samuel Reyes
14	5	2023-10-01 13:10:00	2023-10-01	Z00.00	Dr. Kwame Asante
15	5	2024-11-10 13:08:00	2024-11-11	M54.5	Dr. Helen Okonkwo
16	6	2023-05-08 01:36:00	2023-05-09	K21.9	Dr. Kwame Asante
17	6	2024-12-25 11:55:00	\N	Z00.00	Dr. Arjun Mehta
18	6	2023-12-22 11:53:00	2023-12-22	J18.9	Dr. Arjun Mehta
19	6	2023-05-27 00:50:00	\N	Z00.00	Dr. Helen Okonkwo
20	7	2024-01-31 13:22:00	2024-01-31	Z00.00	Dr. Samuel Reyes
21	7	2023-03-13 06:09:00	2023-03-18	J45.909	Dr. Ingrid Solberg
22	7	2024-03-09 06:20:00	2024-03-11	K21.9	Dr. Helen Okonkwo
23	8	2023-11-07 00:41:00	2023-11-07	I48.91	Dr. Robert Klein
24	8	2024-10-04 00:33:00	2024-10-04	R07.9	Dr. Yuki Sato
25	8	2024-08-22 10:47:00	\N	S52.501A	Dr. Kwame Asante
26	8	2023-03-27 11:20:00	2023-03-29	F32.9	Dr. Yuki Sato
27	9	2023-12-27 17:04:00	2023-12-28	O80	Dr. Teresa Lindgren
28	9	2023-09-05 19:00:00	2023-09-14	G43.909	Dr. Teresa Lindgren
29	10	2024-07-01 06:09:00	2024-07-02	J18.9	Dr. Yuki Sato
30	11	2023-01-09 20:45:00	2023-01-18	G43.909	Dr. Samuel Reyes
31	11	2023-01-24 04:22:00	2023-01-25	R07.9	Dr. Helen Okonkwo
32	11	2024-09-21 20:58:00	2024-09-21	F32.9	Dr. Teresa Lindgren
33	11	2023-07-18 11:15:00	2023-07-21	S52.501A	Dr. Yuki Sato
34	12	2024-01-26 08:43:00	\N	E78.5	Dr. Ingrid Solberg
35	12	2023-01-09 22:42:00	\N	F32.9	Dr. Helen Okonkwo
36	12	2023-09-27 03:59:00	2023-09-30	J18.9	Dr. Samuel Reyes
37	13	2024-10-22 23:45:00	2024-10-31	J06.9	Dr. Samuel Reyes
38	13	2023-11-05 12:31:00	2023-11-14	R07.9	Dr. Yuki Sato
39	13	2024-09-14 17:20:00	2024-09-23	I10	Dr. Arjun Mehta
40	14	2024-01-21 03:19:00	2024-01-21	R07.9	Dr. Kwame Asante
41	14	2024-07-19 17:09:00	\N	J06.9	Dr. Samuel Reyes
42	14	2024-04-15 21:04:00	2024-04-20	I10	Dr. Samuel Reyes
43	15	2024-08-16 16:02:00	2024-08-17	E78.5	Dr. Kwame Asante
44	15	2024-03-24 09:12:00	2024-03-26	N39.0	Dr. Helen Okonkwo
45	15	2023-11-18 20:10:00	2023-11-19	I48.91	Dr. Helen Okonkwo
46	16	2024-07-18 19:02:00	2024-07-19	J18.9	Dr. Robert Klein
47	17	2023-09-20 08:46:00	2023-09-20	R07.9	Dr. Arjun Mehta
48	18	2023-11-28 13:24:00	2023-11-28	J06.9	Dr. Teresa Lindgren
49	18	2024-01-15 19:45:00	2024-01-15	E11.9	Dr. Helen Okonkwo
50	18	2023-07-03 11:00:00	2023-07-03	J45.909	Dr. Arjun Mehta
51	18	2024-11-18 06:13:00	2024-11-18	J45.909	Dr. Helen Okonkwo
52	19	2024-05-16 15:44:00	2024-05-19	F32.9	Dr. Samuel Reyes
53	20	2023-07-08 21:30:00	\N	J18.9	Dr. Kwame Asante
54	20	2023-11-01 01:28:00	\N	O80	Dr. Ingrid Solberg
55	20	2024-09-25 22:37:00	2024-09-26	J06.9	Dr. Arjun Mehta
56	20	2024-08-31 04:14:00	2024-08-31	S52.501A	Dr. Yuki Sato
57	21	2023-08-26 23:23:00	2023-08-31	G43.909	Dr. Teresa Lindgren
58	21	2024-10-16 07:31:00	2024-10-21	K21.9	Dr. Ingrid Solberg
59	21	2023-03-31 17:07:00	2023-04-05	E11.9	Dr. Ingrid Solberg
60	22	2023-05-07 17:17:00	\N	Z00.00	Dr. Ingrid Solberg
61	22	2024-08-23 20:30:00	2024-08-24	N39.0	Dr. Robert Klein
62	23	2024-11-26 09:04:00	2024-11-29	R07.9	Dr. Helen Okonkwo
63	23	2024-06-12 11:56:00	2024-06-12	J06.9	Dr. Kwame Asante
64	23	2023-08-27 10:32:00	2023-08-29	I10	Dr. Samuel Reyes
65	24	2024-02-20 03:41:00	2024-02-29	M54.5	Dr. Helen Okonkwo
66	25	2023-12-12 11:21:00	2023-12-15	J06.9	Dr. Teresa Lindgren
67	25	2024-08-30 19:45:00	2024-08-30	E11.9	Dr. Arjun Mehta
68	25	2023-05-08 00:51:00	2023-05-13	Z00.00	Dr. Kwame Asante
69	25	2023-12-26 20:18:00	\N	J06.9	Dr. Samuel Reyes
70	26	2023-07-10 09:45:00	2023-07-10	K21.9	Dr. Samuel Reyes
71	26	2024-09-26 06:36:00	2024-09-28	E11.9	Dr. Teresa Lindgren
72	26	2023-06-08 17:46:00	2023-06-10	E78.5	Dr. Samuel Reyes
73	27	2023-10-21 11:21:00	2023-10-24	J45.909	Dr. Yuki Sato
74	27	2023-06-12 07:36:00	2023-06-14	R07.9	Dr. Robert Klein
75	27	2023-04-08 13:51:00	2023-04-10	R07.9	Dr. Robert Klein
76	28	2023-05-13 05:52:00	2023-05-13	J06.9	Dr. Teresa Lindgren
77	29	2023-04-06 00:31:00	2023-04-07	J18.9	Dr. Helen Okonkwo
78	30	2023-11-01 01:59:00	2023-11-01	Z00.00	Dr. Teresa Lindgren
79	30	2023-08-20 04:04:00	2023-08-25	R07.9	Dr. Helen Okonkwo
80	30	2024-07-13 06:17:00	2024-07-13	J18.9	Dr. Arjun Mehta
81	30	2024-11-26 21:52:00	\N	I48.91	Dr. Kwame Asante
82	31	2024-08-31 04:57:00	2024-09-05	J18.9	Dr. Helen Okonkwo
83	31	2024-01-04 21:25:00	2024-01-04	J18.9	Dr. Kwame Asante
84	31	2024-06-23 04:47:00	\N	E78.5	Dr. Kwame Asante
85	31	2024-04-06 23:33:00	2024-04-11	O80	Dr. Yuki Sato
86	32	2023-09-17 12:08:00	\N	I48.91	Dr. Kwame Asante
87	32	2023-06-12 08:12:00	2023-06-14	O80	Dr. Teresa Lindgren
88	32	2024-09-26 07:23:00	2024-09-26	J18.9	Dr. Arjun Mehta
89	33	2024-12-10 16:05:00	2024-12-11	G43.909	Dr. Arjun Mehta
90	33	2023-08-20 14:06:00	2023-08-22	G43.909	Dr. Teresa Lindgren
91	34	2024-10-31 06:13:00	2024-11-02	F32.9	Dr. Ingrid Solberg
92	34	2023-11-04 11:34:00	2023-11-09	E11.9	Dr. Ingrid Solberg
93	34	2023-08-05 23:48:00	2023-08-10	R07.9	Dr. Teresa Lindgren
94	34	2024-02-22 15:04:00	\N	G43.909	Dr. Samuel Reyes
95	35	2023-08-27 09:16:00	2023-09-01	K21.9	Dr. Ingrid Solberg
96	35	2023-03-02 14:02:00	2023-03-02	G43.909	Dr. Kwame Asante
97	35	2023-07-06 02:35:00	2023-07-11	J18.9	Dr. Helen Okonkwo
98	36	2023-09-01 02:27:00	2023-09-03	K21.9	Dr. Robert Klein
99	36	2024-05-15 09:57:00	2024-05-16	N39.0	Dr. Teresa Lindgren
100	36	2023-01-12 03:30:00	2023-01-15	N39.0	Dr. Helen Okonkwo
101	36	2024-04-11 17:16:00	2024-04-20	J06.9	Dr. Kwame Asante
102	37	2024-04-12 08:43:00	2024-04-21	Z00.00	Dr. Ingrid Solberg
103	37	2024-06-20 16:27:00	2024-06-22	Z00.00	Dr. Teresa Lindgren
104	37	2023-08-31 09:01:00	\N	Z00.00	Dr. Kwame Asante
105	38	2024-01-16 00:00:00	2024-01-16	F32.9	Dr. Ingrid Solberg
106	39	2024-01-10 14:03:00	2024-01-10	G43.909	Dr. Robert Klein
107	40	2024-02-02 09:47:00	2024-02-05	N39.0	Dr. Arjun Mehta
108	40	2024-04-30 06:28:00	2024-04-30	I48.91	Dr. Ingrid Solberg
109	41	2024-07-05 16:45:00	2024-07-05	R07.9	Dr. Yuki Sato
110	41	2024-05-18 20:55:00	2024-05-23	F32.9	Dr. Kwame Asante
111	41	2023-08-25 14:17:00	2023-08-25	E11.9	Dr. Helen Okonkwo
112	42	2023-12-01 20:49:00	2023-12-10	S52.501A	Dr. Robert Klein
113	43	2024-02-12 00:07:00	2024-02-15	I48.91	Dr. Samuel Reyes
114	43	2024-10-23 00:14:00	2024-10-24	E78.5	Dr. Arjun Mehta
115	43	2023-08-02 11:01:00	2023-08-05	F32.9	Dr. Arjun Mehta
116	43	2023-03-29 20:55:00	2023-03-31	J18.9	Dr. Kwame Asante
117	44	2023-05-26 11:36:00	2023-06-04	G43.909	Dr. Arjun Mehta
118	44	2024-04-22 12:57:00	2024-04-27	S52.501A	Dr. Samuel Reyes
119	45	2024-07-12 11:18:00	2024-07-12	E78.5	Dr. Arjun Mehta
120	45	2024-03-15 18:51:00	2024-03-17	O80	Dr. Arjun Mehta
121	45	2024-09-04 16:20:00	2024-09-13	N39.0	Dr. Arjun Mehta
122	45	2023-07-19 11:26:00	2023-07-20	S52.501A	Dr. Yuki Sato
123	46	2024-07-19 16:09:00	\N	R07.9	Dr. Kwame Asante
124	46	2024-11-17 03:06:00	2024-11-22	E11.9	Dr. Arjun Mehta
125	46	2024-08-17 10:53:00	2024-08-26	E11.9	Dr. Helen Okonkwo
126	46	2024-11-24 01:39:00	2024-11-26	J18.9	Dr. Yuki Sato
127	47	2024-12-04 08:17:00	2024-12-07	E78.5	Dr. Arjun Mehta
128	48	2024-07-10 07:03:00	2024-07-11	M54.5	Dr. Kwame Asante
129	49	2024-12-25 20:47:00	\N	F32.9	Dr. Robert Klein
130	50	2023-08-26 19:39:00	2023-08-26	K21.9	Dr. Samuel Reyes
\.


--
-- Data for Name: icd_codes; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.icd_codes (code, description) FROM stdin;
E11.9	Type 2 diabetes mellitus without complications
I10	Essential (primary) hypertension
J45.909	Unspecified asthma, uncomplicated
M54.5	Low back pain
F32.9	Major depressive disorder, single episode, unspecified
J06.9	Acute upper respiratory infection, unspecified
N39.0	Urinary tract infection, site not specified
K21.9	Gastro-esophageal reflux disease without esophagitis
E78.5	Hyperlipidemia, unspecified
R07.9	Chest pain, unspecified
S52.501A	Unspecified fracture of the lower end of right radius, initial encounter
O80	Encounter for full-term uncomplicated delivery
Z00.00	Encounter for general adult medical examination without abnormal findings
I48.91	Unspecified atrial fibrillation
J18.9	Pneumonia, unspecified organism
G43.909	Migraine, unspecified, not intractable, without status migrainosus
\.


--
-- Data for Name: patients; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.patients (id, mrn, first_name, last_name, ssn, dob, phone, email, street, city, state, zip, insurance_member_id, notes) FROM stdin;
1	MRN-9850371	Chen	O'Connell	431-61-4241	2014-05-02	(746) 587-1257	coconnell@mail.example.com	5217 Elm Blvd	Norton	VT	05907	KX630303174	Allergic to penicillin.\tReviewed 2024-05-19.
2	MRN-5734668	Beatriz	Underwood	379-34-0754	1992-10-24	(799) 687-4308	bunderwood@mail.example.com	3441 Riverside St	Savannah	GA	31401	QX156763851	Daughter is emergency contact; see chart. SSN on file 379-34-0754.
3	MRN-4129401	Camila	Ivanova	322-56-0294	1948-04-16	(681) 902-8781	civanova@mail.example.com	6204 Birch Blvd	Austin	TX	78701	\N	Pt Camila Ivanova called from (681) 902-8781 asking about refill.
4	MRN-3825564	Priya	Okafor	432-63-6334	1962-03-19	(590) 622-4159	pokafor@mail.example.com	5400 Prospect Ln	Madison	WI	53703	KX670869317	Allergic to penicillin.\tReviewed 2024-03-16.
5	MRN-9339584	Gareth	Bergstrom	\N	1996-06-03	(957) 233-4557	gbergstrom@mail.example.com	1821 Jefferson St	Albany	NY	12207	QZ495034041	Lives alone at 1821 Jefferson St; arrange home visit.
6	MRN-4966720	Margaret	Petrov	117-71-7716	1966-06-30	(747) 957-8519	mpetrov@mail.example.com	227 Hillcrest Rd	Tucson	AZ	85719	KZ402083461	Pt Margaret Petrov called from (747) 957-8519 asking about refill.
7	MRN-8881279	Dolores	Zielinski	323-08-2411	1996-03-29	(775) 425-1554	dzielinski@mail.example.com	1628 Maple Dr	Claremont	NH	03603	CX172932909	Prefers morning appointments.
8	MRN-5142981	Margaret	Tanaka	576-55-2882	1990-04-19	(897) 277-9201	mtanaka@mail.example.com	5077 Sunset Ln	Burlington	VT	05401	\N	Daughter is emergency contact; see chart. SSN on file 576-55-2882.
9	MRN-0358900	Emeka	Whitfield	603-29-8865	1950-06-21	(647) 439-0275	ewhitfield@mail.example.com	3241 Prospect Ct	Duluth	MN	55802	CX736197953	Lives alone at 3241 Prospect Ct; arrange home visit.
10	MRN-5673997	Gareth	Tanaka	314-12-8016	1981-09-18	(255) 500-7345	gtanaka@mail.example.com	9692 Jefferson Ave	Duluth	MN	55802	AM833515894	Allergic to penicillin.\tReviewed 2024-03-10.
11	MRN-9953787	Amara	Schultz	038-63-2779	2011-05-27	(391) 446-7141	aschultz@mail.example.com	6843 Prospect Ave	Springfield	IL	62704	CX518837378	Follow-up with Dr. Kwame Asante in 6 weeks.
12	MRN-2879306	Jasper	Jablonski	621-35-3047	1928-08-04	(589) 712-8756	jjablonski@mail.example.com	693 Hillcrest Ct	Savannah	GA	31401	QX797953129	Daughter is emergency contact; see chart. SSN on file 621-35-3047.
13	MRN-0695323	Siobhan	Yamamoto	379-51-3808	2016-07-09	(211) 963-9203	syamamoto@mail.example.com	8702 Harbor St	Madison	WI	53703	AM922932208	Follow-up with Dr. Samuel Reyes in 6 weeks.
14	MRN-3564886	Jasper	Yamamoto	599-23-6235	1977-07-03	(727) 498-2860	jyamamoto@mail.example.com	9291 Oak Dr	Claremont	NH	03603	BX066823481	Follow-up with Dr. Samuel Reyes in 6 weeks.
15	MRN-7580069	Vikram	Rasmussen	138-67-1158	1956-08-19	(528) 521-7850	vrasmussen@mail.example.com	2498 Cedar St	Tucson	AZ	85719	AX106537628	Daughter is emergency contact; see chart. SSN on file 138-67-1158.
16	MRN-0875795	Priya	Underwood	623-71-6305	1951-07-21	(603) 850-5030	punderwood@mail.example.com	6021 Willow Dr	Norton	VT	05907	CM371926148	Prefers morning appointments.
17	MRN-1838567	Beatriz	Delacroix	339-30-6794	1980-02-08	(295) 516-5600	bdelacroix@mail.example.com	6399 Hillcrest Ct	Madison	WI	53703	BX104990273	
18	MRN-5953606	Hana	Delacroix	152-47-8591	1982-12-25	(324) 680-1210	hdelacroix@mail.example.com	2937 Hillcrest Blvd	Norton	VT	05907	QX708909845	
19	MRN-8063186	Ximena	Abernathy	204-35-6682	1995-12-26	(812) 258-6877	\N	7558 Hillcrest Rd	Savannah	GA	31401	\N	Lives alone at 7558 Hillcrest Rd; arrange home visit.
20	MRN-4165069	Yusuf	Jablonski	302-30-5951	1959-05-27	(333) 859-5211	yjablonski@mail.example.com	9596 Willow Blvd	Springfield	IL	62704	QZ644314077	Pt Yusuf Jablonski called from (333) 859-5211 asking about refill.
21	MRN-6082659	Beatriz	Whitfield	370-39-0311	1998-06-28	(401) 616-1592	bwhitfield@mail.example.com	1164 Oak Dr	Duluth	MN	55802	KZ297751810	
22	MRN-1501736	Ximena	Bergstrom	110-68-3552	1943-03-29	(795) 975-4198	xbergstrom@mail.example.com	2533 Maple St	Claremont	NH	03603	QM129210895	
23	MRN-9719054	Santiago	Fitzgerald	341-95-9067	1968-10-23	(480) 233-1067	sfitzgerald@mail.example.com	3187 Cedar Dr	Claremont	NH	03603	QX065114127	Follow-up with Dr. Samuel Reyes in 6 weeks.
24	MRN-9517934	Nadia	Okafor	141-46-5056	1931-07-02	(258) 703-8396	nokafor@mail.example.com	2653 Maple Ln	Tucson	AZ	85719	QX159858736	Allergic to penicillin.\tReviewed 2024-06-15.
25	MRN-7414069	Dmitri	Nakamura	583-80-5702	1952-11-06	(601) 369-5679	dnakamura@mail.example.com	6329 Birch Ct	Portland	OR	97205	HX948536101	Allergic to penicillin.\tReviewed 2024-02-16.
26	MRN-0866791	Walter	Lindqvist	\N	1990-02-16	(870) 895-9849	wlindqvist@mail.example.com	5438 Cedar Rd	Tucson	AZ	85719	KX771152531	Lives alone at 5438 Cedar Rd; arrange home visit.
27	MRN-8625707	Aaliyah	Castellanos	396-22-6388	1996-07-02	(906) 493-2296	acastellanos@mail.example.com	4047 Hillcrest Rd	Portland	OR	97205	CM180495011	
28	MRN-6272918	Eleanor	Eze	633-84-5393	1969-11-20	(611) 293-2306	eeze@mail.example.com	6342 Maple Rd	Portland	OR	97205	HM689882693	Daughter is emergency contact; see chart. SSN on file 633-84-5393.
29	MRN-3043888	Siobhan	Okafor	336-20-0140	1975-04-20	(593) 327-2268	sokafor@mail.example.com	8731 Willow Rd	Madison	WI	53703	QX714737223	
30	MRN-2157065	Oluwaseun	Abernathy	342-40-0984	1948-12-12	(463) 255-2661	oabernathy@mail.example.com	1470 Oak Ave	Norton	VT	05907	HZ346317165	Daughter is emergency contact; see chart. SSN on file 342-40-0984.
31	MRN-4446058	Ibrahim	Tanaka	156-54-8922	1962-02-15	(809) 792-6086	itanaka@mail.example.com	8830 Hillcrest Ct	Albany	NY	12207	HM286284285	
32	MRN-0126695	Alejandro	Fitzgerald	523-83-9955	1989-08-29	(481) 269-1736	afitzgerald@mail.example.com	2555 Franklin Ave	Duluth	MN	55802	BZ220867813	Prefers morning appointments.
33	MRN-8211298	Lucia	Brennan	177-01-8515	1966-11-12	(973) 652-5015	lbrennan@mail.example.com	6080 Sunset Ln	Savannah	GA	31401	BM032219847	Lives alone at 6080 Sunset Ln; arrange home visit.
34	MRN-5137736	Gareth	Haddad	613-03-4451	2009-09-18	(531) 566-5075	ghaddad@mail.example.com	4616 Willow Ln	Portland	OR	97205	KZ980328863	Pt Gareth Haddad called from (531) 566-5075 asking about refill.
35	MRN-1615704	Zoe	Nakamura	117-81-6901	1955-08-28	(236) 751-9181	znakamura@mail.example.com	2343 Elm Blvd	Portland	OR	97205	QX817305964	Follow-up with Dr. Ingrid Solberg in 6 weeks.
36	MRN-4987569	Marcus	Abernathy	080-91-8592	1930-04-14	(639) 673-1639	mabernathy@mail.example.com	4085 Sunset Rd	Norton	VT	05907	KX633094136	Pt Marcus Abernathy called from (639) 673-1639 asking about refill.
37	MRN-4070320	Tariq	Jablonski	663-82-1722	1952-08-15	(402) 429-8313	tjablonski@mail.example.com	1569 Sunset St	Savannah	GA	31401	HX252633643	
38	MRN-0052983	Yusuf	Jablonski	003-61-8611	2015-02-19	(833) 203-1653	\N	5019 Sunset Rd	Portland	OR	97205	AX858610222	Pt Yusuf Jablonski called from (833) 203-1653 asking about refill.
39	MRN-6560638	Ximena	Petrov	604-46-5535	2009-01-04	(254) 422-8384	xpetrov@mail.example.com	4702 Birch Dr	Savannah	GA	31401	CZ993370152	Allergic to penicillin.\tReviewed 2024-06-11.
40	MRN-6800314	Vikram	Delacroix	111-45-2067	1992-03-08	(974) 491-5871	vdelacroix@mail.example.com	6781 Hillcrest Ave	Austin	TX	78701	AZ050252720	Prefers morning appointments.
41	MRN-7764914	Yusuf	Valdez	157-48-2367	1994-07-01	(574) 869-3121	yvaldez@mail.example.com	8456 Sunset Blvd	Madison	WI	53703	AM670483988	Daughter is emergency contact; see chart. SSN on file 157-48-2367.
42	MRN-4801019	Aaliyah	Okafor	029-34-1692	1988-12-21	(351) 544-9835	aokafor@mail.example.com	8991 Oak Ct	Norton	VT	05907	\N	
43	MRN-0459307	Ximena	Fitzgerald	174-40-1844	2001-01-16	(691) 254-8438	xfitzgerald@mail.example.com	8566 Harbor Rd	Duluth	MN	55802	AZ289668858	Lives alone at 8566 Harbor Rd; arrange home visit.
44	MRN-9113107	Ximena	Valdez	329-88-8228	2015-02-05	(461) 261-5326	xvaldez@mail.example.com	154 Maple Blvd	Portland	OR	97205	CX697043850	Allergic to penicillin.\tReviewed 2024-08-10.
45	MRN-2572896	Siobhan	Castellanos	054-11-5268	2000-04-06	\N	scastellanos@mail.example.com	3203 Sunset Ct	Austin	TX	78701	BX199700021	Prefers morning appointments.
46	MRN-9501821	Andre	Kowalczyk	073-22-8803	1996-02-03	(459) 848-9429	akowalczyk@mail.example.com	7423 Hillcrest St	Albany	NY	12207	QX863674949	Pt Andre Kowalczyk called from (459) 848-9429 asking about refill.
47	MRN-0126822	Chen	Zielinski	438-28-6408	1957-03-21	(557) 599-8464	czielinski@mail.example.com	6274 Jefferson St	Boise	ID	83702	HM656824791	
48	MRN-0637346	Hana	O'Connell	376-28-8076	1934-11-11	(712) 850-2375	hoconnell@mail.example.com	9614 Hillcrest Ct	Boise	ID	83702	AX555525276	Allergic to penicillin.\tReviewed 2024-03-14.
49	MRN-9994240	Marcus	Underwood	651-64-5734	1947-04-13	(507) 696-2629	munderwood@mail.example.com	565 Cedar St	Norton	VT	05907	HM274668151	Prefers morning appointments.
50	MRN-2315430	Yusuf	Zielinski	631-87-1325	2017-02-03	(562) 783-7465	yzielinski@mail.example.com	6259 Franklin Ct	Boise	ID	83702	BZ364635592	
\.


--
-- Data for Name: sessions; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.sessions (id, token, user_agent) FROM stdin;
1	4db7595b09b28b34c4e78ae10b101eeac9f039b2	Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Version/17.4
2	fb28548890ca689a26210397292fd85655a57959	PatientPortal/3.2.1 (Android 14)
3	c62ece06d9a2909e5f00bbd5be17d00006d94f52	Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Version/17.4
4	61c95d0913c99ed165644d73aaba689269fae2bd	PatientPortal/3.2.1 (Android 14)
5	f64214fdf4710b39e26593c272f2e1ac728a8d2b	Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Version/17.4
6	9e9ec90414830f470882339c7aea016643f62ff7	PatientPortal/3.2.1 (Android 14)
7	e8bc3bb4c691263b632bca02934c101e84492763	Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36
8	81123470ca7cddd653c1ad4c003acc6cf0d90b4c	Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148
9	51c9c6f92511c49cac58dc3cf8e8ef74c5aaae23	PatientPortal/3.2.1 (Android 14)
10	32ccfdb51301ab5230edc36c3bc621b76e9cc560	Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36
11	fab192c81b80632c3419c6ba323a191c9cc71245	Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36
12	2e3d191cb93538458e4f3086de5cf49a7195420a	Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Version/17.4
13	73de74fb39b43b6048a14c5e591794859583d652	Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148
14	5b07eac2fa45660bfad4597ace8df62950d5800d	Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36
15	03d3aeaad10b41d754e17c7d32f6639a77d0a196	PatientPortal/3.2.1 (Android 14)
16	833acf24f99e7180f7bb4c612026eb07e5e8b815	Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148
17	bd5fc18254183bcb8451425fda0516d0ac090d3a	Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36
18	5d8b40c449e1f92544fba8a9deb942e7789b2290	PatientPortal/3.2.1 (Android 14)
19	0f96338763bff9aef8ae9f462ca2250b9b28f74c	Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Version/17.4
20	e17b14667282a458b0bf8026fa0ea9563273bf08	Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Version/17.4
\.


--
-- Name: claims_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.claims_id_seq', 123, true);


--
-- Name: encounters_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.encounters_id_seq', 130, true);


--
-- Name: patients_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.patients_id_seq', 50, true);


--
-- Name: sessions_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.sessions_id_seq', 20, true);


--
-- Name: claims claims_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.claims
    ADD CONSTRAINT claims_pkey PRIMARY KEY (id);


--
-- Name: contacts contacts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.contacts
    ADD CONSTRAINT contacts_pkey PRIMARY KEY (patient_id);


--
-- Name: encounters encounters_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.encounters
    ADD CONSTRAINT encounters_pkey PRIMARY KEY (id);


--
-- Name: icd_codes icd_codes_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.icd_codes
    ADD CONSTRAINT icd_codes_pkey PRIMARY KEY (code);


--
-- Name: patients patients_email_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.patients
    ADD CONSTRAINT patients_email_key UNIQUE (email);


--
-- Name: patients patients_mrn_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.patients
    ADD CONSTRAINT patients_mrn_key UNIQUE (mrn);


--
-- Name: patients patients_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.patients
    ADD CONSTRAINT patients_pkey PRIMARY KEY (id);


--
-- Name: patients patients_ssn_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.patients
    ADD CONSTRAINT patients_ssn_key UNIQUE (ssn);


--
-- Name: sessions sessions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_pkey PRIMARY KEY (id);


--
-- Name: encounters_patient_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX encounters_patient_id_idx ON public.encounters USING btree (patient_id);


--
-- Name: Lab Results Lab Results_Patient ID_fkey; Type: FK CONSTRAINT; Schema: clinic; Owner: -
--

ALTER TABLE ONLY clinic."Lab Results"
    ADD CONSTRAINT "Lab Results_Patient ID_fkey" FOREIGN KEY ("Patient ID") REFERENCES public.patients(id);


--
-- Name: claims claims_encounter_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.claims
    ADD CONSTRAINT claims_encounter_id_fkey FOREIGN KEY (encounter_id) REFERENCES public.encounters(id);


--
-- Name: contacts contacts_patient_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.contacts
    ADD CONSTRAINT contacts_patient_id_fkey FOREIGN KEY (patient_id) REFERENCES public.patients(id);


--
-- Name: encounters encounters_diagnosis_code_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.encounters
    ADD CONSTRAINT encounters_diagnosis_code_fkey FOREIGN KEY (diagnosis_code) REFERENCES public.icd_codes(code);


--
-- Name: encounters encounters_patient_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.encounters
    ADD CONSTRAINT encounters_patient_id_fkey FOREIGN KEY (patient_id) REFERENCES public.patients(id);


--
-- PostgreSQL database dump complete
--

\unrestrict scrubphiExampleHospitalRestrictKey0000000000000000000000000000

