# Every field type and option, for the generator's golden files and the
# typed-handle tests of the generated Go.

project "shop" {
  binding_prefix = "SHOP_"
}

environment "local" {
  backend = "local"
  path    = ".dmplan"
}
