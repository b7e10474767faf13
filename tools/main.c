/* sipdialog — the command. Each subcommand lives in its own file. */
#include <stdio.h>
#include <string.h>
#if defined(__GLIBC__) || defined(__linux__)
#include <malloc.h>
#endif

#include "commands.h"

static void usage(FILE *f)
{
	fputs("usage: sipdialog <command> [options]\n"
	      "\n"
	      "commands:\n"
	      "  parse [--json] [FILE|-]   parse one SIP message and print its structure\n"
	      "  uas --listen SPEC ...     take calls (udp:, tcp:, tls: listeners)\n"
	      "  uac --listen SPEC --to URI ...  place calls and check them\n"
	      "  b2bua --listen SPEC --to URI ... bridge each call to a target\n"
	      "  --version                 print the version\n"
	      "\n"
	      "Run 'sipdialog <command> --help' for a command's options.\n",
	      f);
}

int main(int argc, char **argv)
{
#ifdef M_TRIM_THRESHOLD
	/* A server's heap goes up and down with its calls: glibc would give the
	 * top back to the system each time more than 128 kB of it is free, and
	 * fault the pages in again at the next calls (under load, a brk() and
	 * its page faults for almost every call). Up to 16 MB stay. */
	mallopt(M_TRIM_THRESHOLD, 16 << 20);
#endif
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "parse"))
		return cmd_parse(argc - 1, argv + 1);
	if (!strcmp(cmd, "uas"))
		return cmd_uas(argc - 1, argv + 1);
	if (!strcmp(cmd, "uac"))
		return cmd_uac(argc - 1, argv + 1);
	if (!strcmp(cmd, "b2bua"))
		return cmd_b2bua(argc - 1, argv + 1);
	if (!strcmp(cmd, "--version")) {
		printf("sipdialog %s\n", SIPD_TOOL_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "sipdialog: unknown command '%s'\n\n", cmd);
	usage(stderr);
	return 2;
}
