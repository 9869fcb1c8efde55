/* observe.c — placeholder, being written */
