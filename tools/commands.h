#ifndef SIPD_TOOLS_COMMANDS_H
#define SIPD_TOOLS_COMMANDS_H

/* Each returns the process exit status: 0 success, 1 failure, 2 bad usage. */
int cmd_parse(int argc, char **argv);
int cmd_uas(int argc, char **argv);
int cmd_uac(int argc, char **argv);
int cmd_b2bua(int argc, char **argv);

#endif
