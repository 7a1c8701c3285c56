# SQLite keeps table and index names in one namespace, ignoring case.
model "A_B" {
  field "c" { type = string }
  d1 {
    sync_fields = ["c"]
    index "c" { columns = ["c"] }
  }
}

model "A" {
  field "b_c" { type = string }
  field "B_C2" { type = string }
  field "Title" { type = string }
  field "title" { type = string } # ERROR: Duplicate field declaration
  d1 {
    sync_fields = ["b_c", "B_C2"]
    index "b_c" { columns = ["b_c"] } # ERROR: Duplicate index name
    index "B_c" { columns = ["b_c"] } # ERROR: Duplicate index declaration
    index "b" { columns = ["B_C2"] } # ERROR: Index name collides with a table
  }
}

model "AB" {
  field "User_Id" { type = string } # ERROR: Field name collides with a built-in field
  d1 { table = "d1_migrations" } # ERROR: Invalid table name
}

model "AC" {
  d1 { table = "__drizzle_migrations" } # ERROR: Invalid table name
}

model "AD" {
  d1 { table = "_Prisma_Migrations" } # ERROR: Invalid table name
}
