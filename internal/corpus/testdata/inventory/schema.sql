CREATE TABLE warehouses (
  code TEXT PRIMARY KEY CHECK (length(code) = 4),
  city TEXT NOT NULL,
  capacity INTEGER NOT NULL
);
CREATE TABLE bins (
  warehouse_code TEXT NOT NULL REFERENCES warehouses (code),
  aisle INTEGER NOT NULL,
  shelf INTEGER NOT NULL,
  label TEXT,
  PRIMARY KEY (warehouse_code, aisle, shelf)
);
CREATE TABLE stock_levels (
  id INTEGER PRIMARY KEY,
  sku TEXT NOT NULL,
  warehouse_code TEXT NOT NULL,
  aisle INTEGER NOT NULL,
  shelf INTEGER NOT NULL,
  on_hand INTEGER NOT NULL DEFAULT 0,
  reserved INTEGER NOT NULL DEFAULT 0,
  reorder_point INTEGER,
  available INTEGER GENERATED ALWAYS AS (on_hand - reserved) VIRTUAL,
  CONSTRAINT stock_nonnegative CHECK (on_hand >= 0 AND reserved >= 0),
  CONSTRAINT stock_reserved_le_on_hand CHECK (reserved <= on_hand),
  CONSTRAINT stock_one_bin_per_sku UNIQUE (sku, warehouse_code),
  CONSTRAINT stock_bin FOREIGN KEY (warehouse_code, aisle, shelf) REFERENCES bins (warehouse_code, aisle, shelf) ON DELETE RESTRICT
);
CREATE INDEX stock_levels_low ON stock_levels (warehouse_code, sku) WHERE on_hand - reserved <= reorder_point;
INSERT INTO warehouses VALUES ('LEE1', 'Leeds', 5000), ('RTM2', 'Rotterdam', 12000);
INSERT INTO bins VALUES ('LEE1', 1, 1, 'A1-1'), ('LEE1', 1, 2, NULL), ('RTM2', 7, 3, 'G7-3');
INSERT INTO stock_levels (sku, warehouse_code, aisle, shelf, on_hand, reserved, reorder_point) VALUES ('TEA-001', 'LEE1', 1, 1, 40, 5, 10), ('TEA-001', 'RTM2', 7, 3, 3, 0, 10);
