# PUBLIC_DATA: shared reference data nobody owns, readable by everyone.

model "PUBLIC_DATA" {
  options {
    user_tracking = false # no user_id field
    auth          = false # no _auth array
  }

  field "name" {
    type       = string
    required   = true
    validation = "slug"
  }
  field "value" {
    type     = json
    required = true
  }
  field "description" { type = text }
  field "version" {
    type    = integer
    default = 1
  }

  kv {
    namespace   = "PUBLIC"
    key_pattern = "public:{id}"
  }
  d1 {
    table       = "public_data"
    sync_fields = ["name", "version"]
    index "by_name" {
      columns = ["name"]
      unique  = true
    }
  }
}
