model "PAGE" {
  field "title" { type = string }
  field "content" { type = text }
  d1 {
    sync_fields = ["title"]
    index "by_content" { columns = ["content"] } # ERROR: Index column not synced
    index "by_author" { columns = ["author"] } # ERROR: Unknown index column
    index "by_owner" { columns = ["user_id", "created_at"] }
  }
}
