model "TAG" {
  field "label" { type = string }
  d1 {
    sync_fields = ["label"]
    index "a" {
      name    = "sqlite_tag_label" # ERROR: Invalid index name
      columns = ["label"]
    }
    index "b" {
      name    = "" # ERROR: Invalid index name
      columns = ["label"]
    }
    index "c" {
      name    = "tag_d"
      columns = ["label"]
    }
    index "d" { columns = ["label"] } # ERROR: Duplicate index name
    index "e" { # ERROR: Index name collides with a table
      name    = "TAG"
      columns = ["label"]
    }
    index "f" {
      name    = "idx_tag_label_with_a_name_longer_than_the_label_would_allow_here_x" # ERROR: Invalid index name
      columns = ["label"]
    }
  }
}
