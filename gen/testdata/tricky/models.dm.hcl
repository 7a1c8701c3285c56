# Names that collide once spelled in Go or TypeScript, and values that need
# escaping: the output must still compile.

project "tricky" {
  binding_prefix = "T_"
}

model "PAGE" {
  field "auth" { type = string }
  field "id" { type = string }
  field "type" {
    type       = string
    validation = ["in-progress", "in progress", "123", "a\"b", "x*/y"]
  }
  field "pageId" { type = integer }
  kv {
    namespace   = "PAGES"
    key_pattern = "p`$${x}\\/{id}"
  }
}

model "PAGE_ROW" {
  options {
    user_tracking = false
    auth          = false
  }
  field "row" { type = string }
  kv { namespace = "PAGE_ROWS" }
}

model "ENV" {
  options {
    timestamps = false
  }
  field "json_value" { type = json }
  kv { namespace = "ENV" }
}

model "PAGE_KEY" {
  kv { namespace = "KEYS" }
}
