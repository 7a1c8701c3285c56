model "NOTE" {
  primary_key = "note_id"
  table       = "notes" # ERROR: Unsupported argument

  field "title" {
    type     = string
    requried = true # ERROR: Unsupported argument
  }
}
