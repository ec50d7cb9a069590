-- The console: the web page and JSON API that administrators and practitioners use
-- (`kinflow serve`), and `kinflow user` to add the people who sign in to it. A C plugin on
-- libmicrohttpd in rooms (console.h lists them; routes.c holds the route table); the page
-- itself is in web/.
return plugin {
  name = "console",
  version = "0.1.0",
  description = "The web console and JSON API (kinflow serve [--bind ADDR] [--port N]) and "
    .. "console users (kinflow user add LOGIN --role ROLE --password-stdin)",
}
