# A syntax error in a constant is reported once, by the parser, not again
# as an invalid option value.
model "A" {
  options { auth = ! } # ERROR: Invalid expression
  field "x" { type = string }
}
