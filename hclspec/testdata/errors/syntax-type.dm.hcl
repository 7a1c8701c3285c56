# A syntax error in a type is reported once, by the parser, not again as
# an invalid field type.
model "A" {
  field "y" { type = = string } # ERROR: Invalid expression
}
