PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE patients (
    id integer NOT NULL,
    first_name text,
    last_name text,
    dob date,
    ssn character(9),
    phone varchar(20),
    email text,
    street_address text,
    diagnosis text,
    diagnosis_code_version text,
    medication text,
    notes text,
    status text
);
INSERT INTO patients VALUES(1,'Maria','Delgado','1984-03-12','536228741','2025550143','maria.delgado@example.com','742 Evergreen Terrace, Springfield','high blood pressure','ICD-10-CM 2024','lisinopril','follow-up in 3 months','healthy');
INSERT INTO patients VALUES(2,'Tomasz','Nowak','1979-11-02','412667309','2025550178','tnowak@example.org','18 Birch Lane, Dover','Type 2 diabetes','ICD-10-CM 2024','metformin','Patient''s wife called twice','active');
INSERT INTO patients VALUES(3,'Aiko','Tanaka','1992-07-30','301458822','3125550199','aiko.t@example.net','5 Harbour St, Portland','migraine without aura','ICD-10-CM 2023','sumatriptan','path C:\temp\x; said "ok"','healthy');
INSERT INTO patients VALUES(4,'Samuel','Okafor',NULL,NULL,NULL,NULL,NULL,'seasonal allergies','ICD-10-CM 2024',NULL,NULL,'inactive');
CREATE TABLE software_inventory (
    id integer NOT NULL,
    hostname text,
    version text,
    installed_at timestamp without time zone
);
INSERT INTO software_inventory VALUES(1,'ws-017','6.1.1.0','2024-01-05 10:00:00');
INSERT INTO software_inventory VALUES(2,'ws-018','10.0.17763.1','2024-01-05 10:01:00');
INSERT INTO software_inventory VALUES(3,'db-01','2.4.1.12','2024-01-06 08:30:00');
INSERT INTO software_inventory VALUES(4,'db-02','5.7.44.1','2024-01-06 08:31:00');
CREATE TABLE orders (
    order_id bigint NOT NULL,
    patient_id integer,
    amount numeric(10,2),
    status text
);
INSERT INTO orders VALUES(4111111111111112,1,19.989999999999998436,'healthy');
INSERT INTO orders VALUES(5500000000000005,2,45,'shipped');
INSERT INTO orders VALUES(3400000000000001,3,12.5,'healthy');
CREATE TABLE ssn_audit (
    id integer NOT NULL,
    count integer,
    checked_on date
);
INSERT INTO ssn_audit VALUES(1,123456789,'2024-02-01');
INSERT INTO ssn_audit VALUES(2,412667310,'2024-02-02');
CREATE TABLE app_users (
    id integer NOT NULL,
    username text,
    email text,
    password text,
    created_at text
);
INSERT INTO app_users VALUES(1,'mdelgado','maria.delgado@example.com','Spr1ngfield!2024','2024-01-01 09:00:00+00');
INSERT INTO app_users VALUES(2,'tnowak','tnowak@example.org','hunter2-Kx9','2024-01-02 09:00:00+00');
COMMIT;
