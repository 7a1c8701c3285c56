model "PAGE" {
  field "title" { type = string }
  field "url" { type = string }
  d1 {
    sync_fields = [
      "title",
      "tilte", # ERROR: Unknown sync field
      "_auth", # ERROR: KV-only field in sync_fields
      "title", # ERROR: Duplicate sync field
      "url",
    ]
  }
}
