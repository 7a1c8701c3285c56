-- Ported from MySQL by hand: every spelling of a type SQLite accepts.
CREATE TABLE employees (
  emp_no BIGINT NOT NULL PRIMARY KEY,
  birth_date DATE NOT NULL,
  first_name VARCHAR(14) NOT NULL,
  last_name NVARCHAR(16) NOT NULL,
  gender CHAR(1) NOT NULL CHECK (gender IN ('M', 'F', 'X')),
  hire_date DATE NOT NULL,
  shift_start TIME,
  salary DOUBLE PRECISION,
  bonus_rate FLOAT DEFAULT 0.05,
  level SMALLINT NOT NULL DEFAULT 1,
  is_manager TINYINT(1) NOT NULL DEFAULT 0,
  notes CLOB,
  badge_photo LONGBLOB,
  ssn_hash VARBINARY(32),
  score NUMERIC(5, 2),
  updated TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX employees_name ON employees (last_name, first_name);
CREATE TABLE "dept emp" (
  emp_no BIGINT NOT NULL,
  dept_no CHAR(4) NOT NULL,
  PRIMARY KEY (emp_no, dept_no)
);
CREATE TABLE departments (
  dept_no CHAR(4) NOT NULL PRIMARY KEY,
  dept_name VARCHAR(40) NOT NULL UNIQUE,
  "budget-eur" INTEGER
);
CREATE TABLE salaries_history (
  emp_no BIGINT NOT NULL,
  salary INTEGER NOT NULL,
  from_date DATE NOT NULL,
  to_date DATE NOT NULL
);
-- An untyped key-value table from the sqlite3 shell days.
CREATE TABLE settings (name TEXT PRIMARY KEY, value);
INSERT INTO settings VALUES ('theme', 'dark'), ('max_upload', 10485760);
INSERT INTO employees (emp_no, birth_date, first_name, last_name, gender, hire_date, salary, level, is_manager, badge_photo, score) VALUES
  (10001, '1953-09-02', 'Georgi', 'Facello', 'M', '1986-06-26', 60117.5, 2, 1, X'FFD8FF', 87.25),
  (10002, '1964-06-02', 'Bezalel', 'Simmel', 'F', '1985-11-21', 65828, 1, 0, NULL, NULL);
INSERT INTO "dept emp" VALUES (10001, 'd005');
INSERT INTO departments VALUES ('d005', 'Development', 1000000);
INSERT INTO salaries_history VALUES (10001, 60117, '1986-06-26', '1987-06-26');
