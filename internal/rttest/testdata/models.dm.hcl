project "rt" {}

model "PAGE" {
  primary_key = "page_id"

  field "project_id" {
    type     = string
    required = true
  }
  field "url" {
    type       = string
    required   = true
    validation = "url"
  }
  field "title" { type = string }
  field "status" {
    type       = string
    default    = "pending"
    validation = ["pending", "processing", "completed", "failed"]
  }
  field "content" { type = text }
  field "extracted_data" { type = json }
  field "last_processed" { type = timestamp }

  kv {
    namespace   = "PAGES"
    key_pattern = "page:{id}"
  }
  d1 {
    table       = "page_meta"
    sync_fields = ["project_id", "url", "title", "status", "last_processed"]
    index "by_project_status" { columns = ["project_id", "status"] }
  }
}

# Every field type, each synced so queries can use it.
model "ITEM" {
  field "name" {
    type     = string
    required = true
  }
  field "body" { type = text }
  field "meta" { type = json }
  field "tags" { type = array }
  field "seen_at" { type = timestamp }
  field "count" {
    type    = integer
    default = 0
  }
  field "score" { type = number }
  field "active" {
    type    = boolean
    default = true
  }
  field "email" {
    type       = string
    validation = "email"
  }
  field "ref" {
    type       = string
    validation = "uuid"
  }
  field "home" {
    type       = string
    validation = "url"
  }
  field "kind" {
    type       = string
    validation = ["a", "b", "c"]
  }

  d1 {
    sync_fields = ["name", "meta", "tags", "seen_at", "count", "score", "active", "email", "kind"]
  }
}

# Physically deleted.
model "TOKEN" {
  options {
    soft_delete = false
  }
  field "label" { type = string }
}

# Shared by everyone.
model "PUBLIC" {
  options {
    user_tracking = false
    auth          = false
  }
  field "name" { type = string }
  d1 {
    sync_fields = ["name"]
  }
}

# Access by the _auth array only.
model "NOTE" {
  options {
    user_tracking = false
  }
  field "text" { type = string }
}
