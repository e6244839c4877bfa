"""The bundled demo world: fictional businesses and reviews, served on 127.0.0.1 by the project's own
fixture server (the same server the tests crawl)."""
