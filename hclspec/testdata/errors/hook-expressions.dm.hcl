model "PAGE" {
  field "status" { type = string }
  hook "after_update" {
    when = changes.state == "done" # ERROR: Unknown field
    webhook {
      url  = var.endpoint # ERROR: Invalid reference
      body = { id = self.page_id, at = now() } # ERROR: Call to unknown function
    }
    webhook { # ERROR: Duplicate webhook block
      url = "https://example.com/hook"
    }
  }
  hook "before_delete" {
    webhook {} # ERROR: Missing required argument
    log {
      message = "deleting ${self.page_id}"
      level   = "loud" # ERROR: Unknown log level
    }
  }
  hook "after_create" {
    webhook {
      url = "ftp://example.com" # ERROR: Invalid webhook URL
    }
  }
  hook "after_update" {
    log {
      message = "token ${env.API_TOKEN}" # ERROR: Sensitive value in message
    }
  }
  hook "after_delete" {
    webhook {
      url   = env.HOOK_URL
      event = lower(env.EVENT_NAME) # ERROR: Sensitive value in event
    }
  }
}
