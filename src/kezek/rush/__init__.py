"""Rush machinery shared by every opening that draws a crowd: waiting room, admission tokens, atomic claims."""
