model "PAGE" {
  field "title" { type = string # ERROR: Invalid single-argument block definition
  field "url" { type = string }
}
