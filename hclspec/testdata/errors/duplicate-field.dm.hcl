model "PAGE" {
  field "title" { type = string }
  field "url" { type = string }
  field "title" { type = text } # ERROR: Duplicate field declaration
}
