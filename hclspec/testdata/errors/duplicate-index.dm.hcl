model "PAGE" {
  field "title" { type = string }
  field "url" { type = string }
  d1 {
    sync_fields = ["title", "url"]
    index "by_title" { columns = ["title"] }
    index "by_title" { columns = ["url"] } # ERROR: Duplicate index declaration
    index "by_url" { columns = ["url", "url"] } # ERROR: Duplicate index column
    index "empty" { columns = [] } # ERROR: Index without columns
  }
}
