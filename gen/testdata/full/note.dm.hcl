# NOTE: every option off: no owner, no timestamps, hard deletes, no _auth;
# two models share a namespace.

model "NOTE" {
  options {
    timestamps    = false
    soft_delete   = false
    user_tracking = false
    auth          = false
  }
  field "text" {
    type     = text
    required = true
  }
  kv {
    namespace   = "MISC"
    key_pattern = "note/{id}/v1"
  }
}

model "TAG" {
  options {
    user_tracking = false
  }
  field "label" {
    type     = string
    required = true
  }
  kv {
    namespace   = "MISC"
    key_pattern = "tag:{id}"
  }
  d1 {
    sync_fields = ["label"]
  }
}
