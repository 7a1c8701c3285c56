model "TAG" {
  options { user_tracking = false }
  field "name" { type = string }
}

seed "TAG" "news" {
  data = { tag_id = "news", name = "News" }
}
seed "TAG" "news" { # ERROR: Duplicate seed declaration
  data = { tag_id = "news2", name = "News" }
}
