PRAGMA foreign_keys = ON;
CREATE TABLE products (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  sku VARCHAR(32) NOT NULL UNIQUE,
  title VARCHAR(200) NOT NULL,
  description TEXT,
  price DECIMAL(10,2) NOT NULL CHECK (price >= 0),
  weight_kg NUMERIC,
  stock INTEGER NOT NULL DEFAULT 0 CHECK (stock >= 0),
  active BOOLEAN NOT NULL DEFAULT 1,
  attributes JSON NOT NULL DEFAULT '{}',
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX products_active_price ON products (active, price);
CREATE INDEX products_title_nocase ON products (title COLLATE NOCASE);

CREATE TABLE orders (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  customer_email VARCHAR(254) NOT NULL COLLATE NOCASE,
  status VARCHAR(16) NOT NULL DEFAULT 'cart' CHECK (status IN ('cart', 'placed', 'paid', 'shipped', 'cancelled')),
  total DECIMAL(12,2) NOT NULL DEFAULT 0,
  placed_at TIMESTAMP,
  shipping_address JSON
);
CREATE INDEX orders_email ON orders (customer_email);
CREATE INDEX orders_status_placed ON orders (status, placed_at DESC) WHERE status <> 'cart';

CREATE TABLE order_items (
  order_id INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  line INTEGER NOT NULL,
  product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE RESTRICT,
  quantity INTEGER NOT NULL CHECK (quantity > 0),
  unit_price DECIMAL(10,2) NOT NULL,
  PRIMARY KEY (order_id, line)
);
CREATE INDEX order_items_product ON order_items (product_id);

INSERT INTO products (sku, title, price, weight_kg, stock, attributes) VALUES
  ('TEA-001', 'Assam tea', 6.50, 0.25, 40, '{"origin":"IN"}'),
  ('MUG-010', 'Enamel mug', 12.00, 0.3, 5, '{"color":"blue"}');
INSERT INTO orders (customer_email, status, total, placed_at, shipping_address) VALUES
  ('Buyer@Example.com', 'placed', 25.00, '2024-05-01 10:00:00', '{"city":"Leeds"}'),
  ('cart@example.com', 'cart', 0, NULL, NULL);
INSERT INTO order_items VALUES (1, 1, 1, 2, 6.50), (1, 2, 2, 1, 12.00);
