# PAGE: a web page a project tracks, its content kept in KV and its
# queryable metadata in D1.

model "PAGE" {
  primary_key = "page_id"
  options {
    timestamps    = true
    soft_delete   = true
    user_tracking = true
    auth          = true
  }

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

  hook "after_update" {
    when = changes.status == "completed"
    webhook {
      url   = env.PAGE_WEBHOOK_URL
      event = "page.completed"
      body  = { page_id = self.page_id, project_id = self.project_id, url = self.url }
    }
  }
}
