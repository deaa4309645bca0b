-- A typical outpatient clinic's schema, for examples/clinic_policy.yaml.
-- Load it with: psql -v ON_ERROR_STOP=1 -f examples/clinic_schema.sql DBNAME
CREATE TABLE public.providers (
    id integer PRIMARY KEY,
    npi character varying(10) NOT NULL UNIQUE,
    first_name text NOT NULL,
    last_name text NOT NULL,
    specialty text,
    license_number text,
    work_email text
);
CREATE TABLE public.patients (
    id integer PRIMARY KEY,
    mrn text NOT NULL UNIQUE,
    first_name text NOT NULL,
    middle_name text,
    last_name text NOT NULL,
    date_of_birth date NOT NULL,
    sex character(1),
    ssn character varying(11) UNIQUE,
    email text UNIQUE,
    mobile_phone text,
    home_phone text,
    fax text,
    street text,
    city text,
    state character(2),
    zip character varying(10),
    emergency_contact_name text,
    emergency_contact_phone text,
    portal_username text UNIQUE,
    last_login_ip inet,
    photo bytea,
    created_at timestamp with time zone NOT NULL DEFAULT now()
);
CREATE TABLE public.insurance_policies (
    id integer PRIMARY KEY,
    patient_id integer NOT NULL REFERENCES public.patients(id),
    payer text NOT NULL,
    member_id text NOT NULL,
    group_number text,
    subscriber_name text,
    valid_from date,
    valid_to date
);
CREATE TABLE public.appointments (
    id bigint PRIMARY KEY,
    patient_id integer NOT NULL REFERENCES public.patients(id),
    provider_id integer NOT NULL REFERENCES public.providers(id),
    starts_at timestamp with time zone NOT NULL,
    reason text,
    status text NOT NULL,
    notes text
);
CREATE TABLE public.invoices (
    id bigint PRIMARY KEY,
    patient_id integer NOT NULL REFERENCES public.patients(id),
    account_number text NOT NULL,
    card_last4 character(4),
    amount numeric(10,2) NOT NULL,
    issued_on date NOT NULL
);
CREATE TABLE public.documents (
    id bigint PRIMARY KEY,
    patient_id integer NOT NULL REFERENCES public.patients(id),
    kind text NOT NULL,
    body jsonb,
    scan bytea
);
CREATE TABLE public.devices (
    id integer PRIMARY KEY,
    patient_id integer REFERENCES public.patients(id),
    model text,
    serial_number text,
    udi text
);
CREATE TABLE public.audit_log (
    id bigint PRIMARY KEY,
    at timestamp with time zone NOT NULL,
    actor text,
    action text NOT NULL,
    client_ip inet,
    url text
);
CREATE TABLE public.icd10_codes (code text PRIMARY KEY, description text NOT NULL);
CREATE TABLE public.web_sessions (id text PRIMARY KEY, user_id integer, data jsonb);
