model "PAGE" {
  field "title" { type = string }
  kv { key_pattern = "page" } # ERROR: Invalid key pattern
}

model "NOTE" {
  field "title" { type = string }
  kv { key_pattern = "note:{id}:{id}" } # ERROR: Invalid key pattern
}

model "TAG" {
  field "title" { type = string }
  kv { namespace = "my-tags" } # ERROR: Invalid KV namespace name
}

model "BLOB" {
  field "title" { type = string }
  kv { key_pattern = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx{id}" } # ERROR: Key pattern too long
}
