-- An EHR-shaped database in the image of Synthea's CSV export (18 tables), built
-- server-side with generate_series so any size is quick to make.  :patients sets the
-- scale (psql -v patients=N); every other table follows Synthea's proportions roughly:
-- ~40 encounters, ~150 observations, ~6 conditions, ~10 medications per patient.
-- Deterministic: setseed() before every random() stream.
SELECT setseed(0.42);

CREATE TABLE organizations (
    id integer PRIMARY KEY, name text NOT NULL, address text, city text, state text,
    zip text, lat numeric(9,6), lon numeric(9,6), phone text, revenue numeric(14,2)
);
CREATE TABLE providers (
    id integer PRIMARY KEY, organization_id integer REFERENCES organizations(id),
    name text NOT NULL, gender text, speciality text, address text, city text, zip text
);
CREATE TABLE payers (
    id integer PRIMARY KEY, name text NOT NULL, address text, city text, zip text, phone text
);
CREATE TABLE patients (
    id integer PRIMARY KEY, birthdate date NOT NULL, deathdate date, ssn text NOT NULL UNIQUE,
    drivers text, passport text, prefix text, first text NOT NULL, last text NOT NULL,
    maiden text, marital text, race text, ethnicity text, gender text, birthplace text,
    address text, city text, state text, county text, zip text, lat numeric(9,6),
    lon numeric(9,6), email text UNIQUE, phone text, healthcare_expenses numeric(14,2)
);
CREATE TABLE encounters (
    id bigint PRIMARY KEY, start timestamp NOT NULL, stop timestamp,
    patient_id integer NOT NULL REFERENCES patients(id), organization_id integer,
    provider_id integer, payer_id integer, encounterclass text, code text,
    description text, base_cost numeric(10,2), reasoncode text
);
CREATE TABLE conditions (
    start date NOT NULL, stop date, patient_id integer NOT NULL, encounter_id bigint,
    code text, description text
);
CREATE TABLE medications (
    start timestamp NOT NULL, stop timestamp, patient_id integer NOT NULL, payer_id integer,
    encounter_id bigint, code text, description text, base_cost numeric(10,2),
    dispenses integer, totalcost numeric(12,2)
);
CREATE TABLE observations (
    date timestamp NOT NULL, patient_id integer NOT NULL, encounter_id bigint,
    category text, code text, description text, value text, units text, type text
);
CREATE TABLE procedures (
    start timestamp NOT NULL, stop timestamp, patient_id integer NOT NULL,
    encounter_id bigint, code text, description text, base_cost numeric(10,2)
);
CREATE TABLE immunizations (
    date timestamp NOT NULL, patient_id integer NOT NULL, encounter_id bigint, code text,
    description text, base_cost numeric(10,2)
);
CREATE TABLE allergies (
    start date NOT NULL, stop date, patient_id integer NOT NULL, encounter_id bigint,
    code text, system text, description text, type text, category text
);
CREATE TABLE careplans (
    id bigint PRIMARY KEY, start date NOT NULL, stop date, patient_id integer NOT NULL,
    encounter_id bigint, code text, description text
);
CREATE TABLE devices (
    start timestamp NOT NULL, stop timestamp, patient_id integer NOT NULL,
    encounter_id bigint, code text, description text, udi text
);
CREATE TABLE imaging_studies (
    id bigint PRIMARY KEY, date timestamp NOT NULL, patient_id integer NOT NULL,
    encounter_id bigint, bodysite text, modality text, sop text
);
CREATE TABLE supplies (
    date date NOT NULL, patient_id integer NOT NULL, encounter_id bigint, code text,
    description text, quantity integer
);
CREATE TABLE claims (
    id bigint PRIMARY KEY, patient_id integer NOT NULL, provider_id integer,
    payer_id integer, service_date timestamp NOT NULL, status text, outstanding numeric(12,2)
);
CREATE TABLE payer_transitions (
    patient_id integer NOT NULL, start_date date NOT NULL, end_date date,
    payer_id integer, ownership text, ownername text
);
CREATE TABLE notes (
    id bigint PRIMARY KEY, patient_id integer NOT NULL, encounter_id bigint,
    written_at timestamp NOT NULL, author text, body text NOT NULL
);

INSERT INTO organizations
SELECT g, 'Organization ' || g, g || ' Main St', 'Town' || (g % 97), 'MA',
       lpad((1000 + g % 900)::text, 5, '0'), 42 + random(), -71 - random(),
       '555-01' || lpad((g % 100)::text, 2, '0'), round((random() * 1e6)::numeric, 2)
FROM generate_series(1, greatest(:patients / 50, 5)) g;

INSERT INTO providers
SELECT g, 1 + g % greatest(:patients / 50, 5), 'Dr. Provider' || g || ' Lastname' || (g % 311),
       CASE WHEN g % 2 = 0 THEN 'F' ELSE 'M' END, 'GENERAL PRACTICE', g || ' Clinic Rd',
       'Town' || (g % 97), lpad((1000 + g % 900)::text, 5, '0')
FROM generate_series(1, greatest(:patients / 10, 10)) g;

INSERT INTO payers
SELECT g, 'Payer ' || g, g || ' Insurance Way', 'Hartford', '06101', '555-0199'
FROM generate_series(1, 10) g;

INSERT INTO patients
SELECT g,
       DATE '1930-01-01' + (random() * 30000)::int,
       CASE WHEN random() < 0.1 THEN DATE '2015-01-01' + (random() * 2500)::int END,
       lpad((100 + g / 10000)::text, 3, '0') || '-' || lpad(((g / 100) % 100)::text, 2, '0')
           || '-' || lpad((g % 10000)::text, 4, '0'),
       'S999' || lpad(g::text, 5, '0'), 'X' || lpad(g::text, 8, '0') || 'X',
       CASE WHEN g % 2 = 0 THEN 'Mrs.' ELSE 'Mr.' END,
       (ARRAY['Jose','Mary','Wei','Fatima','John','Olga','Kwame','Ana','Liam','Priya'])[1 + g % 10]
           || (g % 997),
       (ARRAY['Smith','Garcia','Nguyen','Okafor','Kowalski','Haddad','Silva','Brown'])[1 + g % 8]
           || (g % 1499),
       CASE WHEN g % 2 = 0 THEN 'Maiden' || (g % 211) END,
       (ARRAY['M','S','D','W'])[1 + g % 4], 'white', 'nonhispanic',
       CASE WHEN g % 2 = 0 THEN 'F' ELSE 'M' END,
       'Town' || (g % 97) || '  Massachusetts  US',
       (g % 9999) || ' ' || (ARRAY['Oak','Elm','Pine','Maple'])[1 + g % 4] || ' Street Unit ' || (g % 50),
       'Town' || (g % 97), 'Massachusetts', 'County' || (g % 14),
       lpad((1000 + g % 900)::text, 5, '0'), 42 + random(), -71 - random(),
       'patient' || g || '@mail.example', '555-' || lpad((g % 10000)::text, 4, '0'),
       round((random() * 1e6)::numeric, 2)
FROM generate_series(1, :patients) g;

INSERT INTO encounters
SELECT e, ts, ts + interval '1 hour' * (1 + e % 5), 1 + (e::bigint * 7919) % :patients,
       1 + e % greatest(:patients / 50, 5), 1 + e % greatest(:patients / 10, 10), 1 + e % 10,
       (ARRAY['wellness','ambulatory','outpatient','emergency','inpatient'])[1 + e % 5],
       (185345009 + e % 40)::text, 'Encounter for symptom', round((50 + random() * 200)::numeric, 2),
       CASE WHEN e % 3 = 0 THEN (444814009 + e % 7)::text END
FROM (SELECT e, TIMESTAMP '2000-01-01' + random() * interval '8000 days' AS ts
      FROM generate_series(1, :patients * 40) e) s;

INSERT INTO conditions
SELECT (start)::date, CASE WHEN c % 3 = 0 THEN (start + interval '30 days')::date END,
       1 + (c::bigint * 7919) % :patients, c * 7, (44054006 + c % 60)::text, 'Condition ' || (c % 60)
FROM (SELECT c, TIMESTAMP '2000-01-01' + random() * interval '8000 days' AS start
      FROM generate_series(1, :patients * 6) c) s;

INSERT INTO medications
SELECT start, start + interval '30 days', 1 + (m::bigint * 7919) % :patients, 1 + m % 10, m * 4,
       (314076 + m % 80)::text, 'Medication ' || (m % 80), round((random() * 300)::numeric, 2),
       1 + m % 12, round((random() * 3000)::numeric, 2)
FROM (SELECT m, TIMESTAMP '2000-01-01' + random() * interval '8000 days' AS start
      FROM generate_series(1, :patients * 10) m) s;

INSERT INTO observations
SELECT TIMESTAMP '2000-01-01' + random() * interval '8000 days', 1 + (o::bigint * 7919) % :patients,
       o / 4, (ARRAY['vital-signs','laboratory','survey','social-history'])[1 + o % 4],
       CASE WHEN o % 50 = 0 THEN '56799-0' ELSE (8302 + o % 90)::text || '-2' END,
       CASE WHEN o % 50 = 0 THEN 'Address' ELSE 'Body Height' END,
       CASE WHEN o % 50 = 0 THEN (o % 9999) || ' Oak Street Apt ' || (o % 40)
            WHEN o % 7 = 0 THEN (ARRAY['English','German','Never smoker'])[1 + o % 3]
            ELSE round((random() * 200)::numeric, 1)::text END,
       'cm', CASE WHEN o % 7 = 0 THEN 'text' ELSE 'numeric' END
FROM generate_series(1, :patients * 150) o;

INSERT INTO procedures
SELECT start, start + interval '1 hour', 1 + (p::bigint * 7919) % :patients, p * 3,
       (430193006 + p % 50)::text, 'Procedure ' || (p % 50), round((random() * 900)::numeric, 2)
FROM (SELECT p, TIMESTAMP '2000-01-01' + random() * interval '8000 days' AS start
      FROM generate_series(1, :patients * 12) p) s;

INSERT INTO immunizations
SELECT TIMESTAMP '2000-01-01' + random() * interval '8000 days', 1 + (i::bigint * 7919) % :patients,
       i * 2, (140 + i % 20)::text, 'Influenza vaccine', 136.00
FROM generate_series(1, :patients * 15) i;

INSERT INTO allergies
SELECT DATE '2000-01-01' + (random() * 8000)::int, NULL, 1 + (a::bigint * 7919) % :patients, a,
       (300916003 + a % 15)::text, 'SNOMED-CT', 'Allergy ' || (a % 15), 'allergy', 'food'
FROM generate_series(1, :patients * 2) a;

INSERT INTO careplans
SELECT c, DATE '2000-01-01' + (random() * 8000)::int, NULL, 1 + (c::bigint * 7919) % :patients, c * 5,
       (53950000 + c % 30)::text, 'Careplan ' || (c % 30)
FROM generate_series(1, :patients * 3) c;

INSERT INTO devices
SELECT TIMESTAMP '2000-01-01' + random() * interval '8000 days', NULL, 1 + (d::bigint * 7919) % :patients,
       d, (72506001 + d % 10)::text, 'Device', '(01)' || lpad(d::text, 14, '0') || '(21)' || d
FROM generate_series(1, greatest(:patients / 5, 1)) d;

INSERT INTO imaging_studies
SELECT s, TIMESTAMP '2000-01-01' + random() * interval '8000 days', 1 + (s::bigint * 7919) % :patients,
       s * 11, 'Chest', 'DX', '1.2.840.10008.5.1.4.1.1.1.' || s
FROM generate_series(1, greatest(:patients / 2, 1)) s;

INSERT INTO supplies
SELECT DATE '2000-01-01' + (random() * 8000)::int, 1 + (s::bigint * 7919) % :patients, s * 13,
       (409534002 + s % 5)::text, 'Supply', 1 + s % 4
FROM generate_series(1, :patients * 2) s;

INSERT INTO claims
SELECT c, 1 + (c::bigint * 7919) % :patients, 1 + c % greatest(:patients / 10, 10), 1 + c % 10,
       TIMESTAMP '2000-01-01' + random() * interval '8000 days', 'CLOSED',
       round((random() * 100)::numeric, 2)
FROM generate_series(1, :patients * 40) c;

INSERT INTO payer_transitions
SELECT 1 + (t::bigint * 7919) % :patients, DATE '2000-01-01' + (random() * 8000)::int, NULL, 1 + t % 10,
       CASE WHEN t % 3 = 0 THEN 'Self' ELSE 'Guardian' END,
       'Owner' || (t % 997) || ' Name' || (t % 1499)
FROM generate_series(1, :patients * 4) t;

INSERT INTO notes
SELECT n, 1 + (n::bigint * 7919) % :patients, n * 3, TIMESTAMP '2000-01-01' + random() * interval '8000 days',
       'RN Nurse' || (n % 53),
       'Pt ' || (ARRAY['Jose','Mary','Wei','Fatima'])[1 + n % 4] || ' seen on '
       || (1 + n % 12) || '/' || (1 + n % 28) || ' for follow-up. BP 132/84, HR 76, '
       || 'SpO2 96% on RA. Metformin 1000 mg PO BID continued. Lives at '
       || (n % 9999) || ' Oak Street, Town' || (n % 97) || '. Call 555-'
       || lpad((n % 10000)::text, 4, '0') || ' with results. Plan: recheck A1c in 3 months.'
FROM generate_series(1, :patients * 4) n;
