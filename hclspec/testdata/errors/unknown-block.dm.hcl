modle "PAGE" { # ERROR: Unsupported block type
}

model "NOTE" {
  field "body" { type = text }
  feild "title" { type = string } # ERROR: Unsupported block type
}
