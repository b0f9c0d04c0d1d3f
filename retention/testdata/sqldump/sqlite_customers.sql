PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT, dob DATE, card_number NUMERIC(19,0), phone VARCHAR(12));
INSERT INTO customers VALUES(1,'marta.kowalczyk@example.org','1984-03-17',4532019384765128,'+48601234567');
INSERT INTO customers VALUES(2,'jonas.berg@example.net','1979-11-02',5529130477128363,'+46701234567');
CREATE TABLE cards (id INTEGER PRIMARY KEY, card_number INTEGER, holder TEXT) STRICT;
INSERT INTO cards VALUES(1,4532019384765128,'marta.kowalczyk@example.org');
INSERT INTO cards VALUES(2,5529130477128363,'jonas.berg@example.net');
COMMIT;
