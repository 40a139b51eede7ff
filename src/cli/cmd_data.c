/* cmd_data.c — `ramp data`: placeholder dispatcher, filled in by the kits work. */
#include <stdio.h>
#include <string.h>

#include "cli/cliInt.h"

int ramp__cmd_data(int argc, char **argv)
{
    if (argc < 2 || ramp__cli_is_help(argv[1])) {
        printf("usage: ramp data fashion-mnist --out DIR [options]\n"
               "       ramp data check KIT\n");
        return argc < 2 ? 2 : 0;
    }
    ramp__cli_error("data: unknown subcommand '%s'", argv[1]);
    return 2;
}
