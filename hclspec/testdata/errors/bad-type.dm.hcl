model "PAGE" {
  field "title" { type = varchar } # ERROR: Invalid field type
  field "body" { type = "text" }
  field "count" { type = 3 } # ERROR: Invalid field type
  field "url" {} # ERROR: Missing required argument
}
