# ITEM: every field type, required and optional, defaults and validations.

model "ITEM" {
  primary_key = "item_id"

  field "name" {
    type     = string
    required = true
  }
  field "sku" {
    type       = string
    validation = "slug"
  }
  field "body" { type = text }
  field "kind" {
    type       = string
    required   = true
    validation = ["in-stock", "backorder", "gone"]
  }
  field "grade" {
    type       = string
    default    = "b"
    validation = ["a", "b", "c"]
  }
  field "count" {
    type     = integer
    required = true
  }
  field "stock" {
    type    = integer
    default = 0
  }
  field "price" {
    type     = number
    required = true
  }
  field "weight" { type = number }
  field "active" {
    type     = boolean
    required = true
  }
  field "featured" {
    type    = boolean
    default = false
  }
  field "attrs" {
    type     = json
    required = true
  }
  field "extra" { type = json }
  field "tags" {
    type     = array
    required = true
  }
  field "aliases" { type = array }
  field "released" {
    type     = timestamp
    required = true
  }
  field "recalled" { type = timestamp }

  kv {
    namespace   = "ITEMS"
    key_pattern = "item:{id}"
  }
  d1 {
    table = "items"
    sync_fields = ["name", "sku", "kind", "grade", "count", "stock", "price", "weight",
    "active", "featured", "attrs", "tags", "released", "recalled"]
    index "by_kind" { columns = ["kind"] }
  }
}
