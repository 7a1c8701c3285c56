model "PAGE" {
  field "title" { type = string }
  kv { namespace = "CONTENT" }
}

model "ARTICLE" {
  field "title" { type = string }
  d1 { table = "PAGE" } # ERROR: Duplicate table
  kv {
    namespace   = "CONTENT"
    key_pattern = "page:{id}:article" # ERROR: Overlapping KV keys
  }
}
