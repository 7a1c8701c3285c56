# A model with a KV side writes the KV object, keyed by the id, before
# the D1 row: D1 never assigns that id, so autoincrement only warns.
model "TICKET" {
  primary_key = "ticket_id"
  field "ticket_id" {
    type          = integer
    autoincrement = true # WARNING: autoincrement on a model with a KV side
  }
  field "title" { type = string }
  d1 { sync_fields = ["title"] }
}

model "COUNTER" {
  storage     = "d1"
  primary_key = "id"
  options { auth = false }
  field "id" {
    type          = integer
    autoincrement = true
  }
}
