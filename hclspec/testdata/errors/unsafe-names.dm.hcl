model "CART" {
  primary_key = "_cf_id" # ERROR: Invalid primary key name
  field "2fa" { type = boolean } # ERROR: Invalid field name
  field "this_field_name_is_far_too_long_to_be_a_column_name_in_any_table_x" { type = string } # ERROR: Invalid field name
  d1 {
    table = "sqlite_carts" # ERROR: Invalid table name
    index "_dmplan_x" { columns = ["user_id"] } # ERROR: Invalid index label
  }
}

model "_DMPLAN_STATE" { # ERROR: Invalid model name
  field "total" { type = number }
}
