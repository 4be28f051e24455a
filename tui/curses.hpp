// The only place that includes curses: everything in tui/ includes this.
#pragma once

#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
// Functions, not macros: the wizard calls them as ::name().
#ifndef NCURSES_NOMACROS
#define NCURSES_NOMACROS 1
#endif
#include <ncursesw/curses.h>
