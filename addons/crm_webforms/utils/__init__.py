"""Plain Python for the web forms: the built-in captcha, the third-party captcha
verifiers, value coercion per field type, and the HTML a site owner pastes. Nothing here
imports odoo or touches records."""
