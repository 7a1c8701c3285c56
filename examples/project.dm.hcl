# PROJECT: a group of pages owned by a user.

model "PROJECT" {
  primary_key = "project_id"

  field "name" {
    type     = string
    required = true
  }
  field "slug" {
    type       = string
    required   = true
    validation = "slug"
  }
  field "description" { type = text }
  field "website" {
    type       = string
    validation = "url"
  }
  field "status" {
    type       = string
    default    = "active"
    validation = ["active", "paused", "archived"]
  }
  field "page_count" {
    type    = integer
    default = 0
  }
  field "settings" {
    type    = json
    default = { crawl_depth = 2, follow_external = false }
  }
  field "tags" {
    type    = array
    default = []
  }

  kv {
    namespace   = "PROJECTS"
    key_pattern = "project:{id}"
  }
  d1 {
    table       = "projects"
    sync_fields = ["name", "slug", "status", "page_count"]
    index "by_slug" {
      columns = ["slug"]
      unique  = true
    }
    index "by_user_status" { columns = ["user_id", "status"] }
  }

  hook "after_create" {
    log {
      message = "project ${self.slug} created"
      level   = "info"
    }
  }
}
