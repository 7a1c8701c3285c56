CREATE TABLE customers (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  country CHAR(2) NOT NULL DEFAULT 'US',
  signed_up DATE NOT NULL
);
CREATE TABLE invoices (
  id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customers (id),
  amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),
  currency TEXT NOT NULL DEFAULT 'USD' CHECK (length(currency) = 3),
  issued_on DATE NOT NULL,
  paid_on DATE
);
CREATE INDEX invoices_customer_issued ON invoices (customer_id, issued_on DESC);
CREATE INDEX invoices_unpaid ON invoices (issued_on) WHERE paid_on IS NULL;

CREATE VIEW revenue_by_month AS
  SELECT strftime('%Y-%m', issued_on) AS month, currency, SUM(amount_cents) AS cents
  FROM invoices WHERE paid_on IS NOT NULL GROUP BY 1, 2;
CREATE VIEW customer_balances AS
  SELECT c.id, c.name, COALESCE(SUM(i.amount_cents), 0) AS owed
  FROM customers c LEFT JOIN invoices i ON i.customer_id = c.id AND i.paid_on IS NULL
  GROUP BY c.id;

INSERT INTO customers (id, name, country, signed_up) VALUES (1, 'Acme', 'US', '2023-01-15'), (2, 'Globex', 'DE', '2023-06-01');
INSERT INTO invoices (customer_id, amount_cents, currency, issued_on, paid_on) VALUES
  (1, 12000, 'USD', '2024-01-01', '2024-01-10'), (1, 8000, 'USD', '2024-02-01', NULL), (2, 50000, 'EUR', '2024-02-01', '2024-02-20');
