model "PAGE" {
  options { auth = false }
  options { auth = true } # ERROR: Duplicate options block
  field "title" { type = string }
  kv { namespace = "PAGES" }
  kv { namespace = "OTHER" } # ERROR: Duplicate kv block
  d1 { table = "pages" }
  d1 { table = "page_meta" } # ERROR: Duplicate d1 block
}
