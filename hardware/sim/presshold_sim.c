/* simavr host for the PressHold firmware: runs the real .elf on a simulated ATmega328P at 16 MHz
 * wired like the README (HX711 DOUT -> D2, PD_SCK <- D3), with UART0 on a pseudo-terminal behind
 * a stable link, and an HX711 model that plays a force profile through a load-cell scale/offset.
 *
 *   presshold_sim FIRMWARE.elf --link PATH [--profile FILE | --points T:F,T:F,... | --force N]
 *                 [--offset COUNTS] [--scale COUNTS_PER_N] [--duration S]
 *                 [--unplug FROM:TO]... [--reset-at S]... [--no-wait] [--boot-delay S]
 *                 [--rate 80|10] [--fsr] [--unpaced]
 *
 * Stdin takes commands applied at the current simulated time (see run_command).
 *
 * Profile: "t_s force_n" per line (or T:F pairs), newtons against simulated seconds since power-up,
 * linearly interpolated, first/last value held; with --force, that constant force is held instead
 * until a "play" command starts the profile. counts = offset + scale * force_n (gain 128).
 * --rate 10: the HX711's RATE pin left low, as most modules are sold. --fsr: the force also
 * reaches A0 through an FSR voltage divider, for the FSR sketch.
 * The MCU is held in reset until the pty is opened, plus --boot-delay wall seconds (0.3; pyserial
 * flushes its input on open, so the hello line would be lost otherwise), then paced to the wall
 * clock (--unpaced: as fast as it goes, for benchmarks). Stdout: "pty <name>", then "ready"
 * when the MCU boots. Stderr: HX711 protocol errors as they happen, a summary at exit.
 * SIGTERM/SIGINT or --duration end it cleanly (link removed, pty thread joined). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include <simavr/avr_adc.h>
#include <simavr/avr_ioport.h>
#include <simavr/avr_uart.h>
#include <simavr/parts/uart_pty.h>
#include <simavr/sim_avr.h>
#include <simavr/sim_cycle_timers.h>
#include <simavr/sim_elf.h>
#include <simavr/sim_time.h>

#include "button_part.h"
#include "hx711_part.h"

#define MAX_POINTS 4096
#define MAX_EVENTS 16
#define MAX_ERRORS_PRINTED 20

typedef struct {
  double t[MAX_POINTS], f[MAX_POINTS];
  int n;
  double offset, scale;
  double t0;    /* simulated time at which the profile's t=0 is played ("play" restarts it) */
  int holding;  /* "force N" command: a constant force instead of the profile */
  double held_n;
} profile_t;

typedef struct {
  double at_s;
  enum { EV_UNPLUG, EV_REPLUG, EV_RESET } what;
  int done;
} event_t;

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

static profile_t prof = {.offset = 84213.0, .scale = 42800.0};
static event_t events[MAX_EVENTS];
static int n_events;
static hx711_t hx;
static button_t button; /* the patient button, D4 to GND */
static int reset_pending;

static double force_at(const profile_t *p, double t_s) {
  if (p->n == 0) return 0.0;
  if (t_s <= p->t[0]) return p->f[0];
  for (int i = 1; i < p->n; ++i)
    if (t_s < p->t[i]) {
      double a = (t_s - p->t[i - 1]) / (p->t[i] - p->t[i - 1]);
      return p->f[i - 1] + a * (p->f[i] - p->f[i - 1]);
    }
  return p->f[p->n - 1];
}

static int32_t profile_sample(void *ctx, double t_s) {
  (void)ctx;
  double f = prof.holding ? prof.held_n : force_at(&prof, t_s - prof.t0);
  double raw = prof.offset + prof.scale * f;
  if (raw > 8388607.0) raw = 8388607.0; /* the ADC saturates, as the real one does */
  if (raw < -8388608.0) raw = -8388608.0;
  return (int32_t)(raw < 0 ? raw - 0.5 : raw + 0.5);
}

/* FSR variant (--fsr): an FSR 402 from 5 V to A0, 10 kOhm from A0 to GND. An FSR's conductance
 * grows roughly in proportion to force: R = FSR_K / F (about 5 kOhm at 10 N, 50 kOhm at 1 N,
 * open circuit at rest). The ADC asks for its input when a conversion starts. */
#define VCC_MV 5000
#define FSR_DIVIDER_OHM 10000.0
#define FSR_K_OHM_N 50000.0

static uint32_t fsr_millivolts(double force_n) {
  if (force_n <= 0.0) return 0;
  double r_fsr = FSR_K_OHM_N / force_n;
  return (uint32_t)(VCC_MV * FSR_DIVIDER_OHM / (FSR_DIVIDER_OHM + r_fsr) + 0.5);
}

static void on_adc_start(struct avr_irq_t *irq, uint32_t value, void *param) {
  avr_t *avr = (avr_t *)param;
  (void)irq;
  (void)value;
  double t_s = (double)avr->cycle / (double)avr->frequency;
  double f = prof.holding ? prof.held_n : force_at(&prof, t_s - prof.t0);
  avr_raise_irq(avr_io_getirq(avr, AVR_IOCTL_ADC_GETIRQ, ADC_IRQ_ADC0), fsr_millivolts(f));
}

static unsigned errors_printed;
static void report_error(void *ctx, double t_s, const char *what) {
  (void)ctx;
  if (errors_printed++ < MAX_ERRORS_PRINTED) fprintf(stderr, "hx711 error t=%.6f: %s\n", t_s, what);
  else if (errors_printed == MAX_ERRORS_PRINTED + 1) fprintf(stderr, "hx711: further errors only counted\n");
}

static int add_point(double t, double f) {
  if (prof.n >= MAX_POINTS || (prof.n > 0 && t <= prof.t[prof.n - 1])) return -1;
  prof.t[prof.n] = t;
  prof.f[prof.n] = f;
  prof.n++;
  return 0;
}

static int load_profile(const char *path) {
  FILE *fp = fopen(path, "r");
  if (!fp) return -1;
  char line[256];
  int rc = 0;
  while (rc == 0 && fgets(line, sizeof line, fp)) {
    double t, f;
    if (line[0] == '#') continue;
    if (sscanf(line, "%lf %lf", &t, &f) == 2) rc = add_point(t, f);
  }
  fclose(fp);
  if (rc != 0) errno = EINVAL;
  return rc;
}

static int parse_points(const char *spec) {
  const char *s = spec;
  while (*s) {
    double t, f;
    int used = 0;
    if (sscanf(s, "%lf:%lf%n", &t, &f, &used) != 2 || add_point(t, f) != 0) return -1;
    s += used;
    if (*s == ',') s++;
    else if (*s) return -1;
  }
  return 0;
}

static int add_event(double at_s, int what) {
  if (n_events >= MAX_EVENTS || at_s < 0) return -1;
  events[n_events].at_s = at_s;
  events[n_events].what = what;
  n_events++;
  return 0;
}

/* Events fire from cycle timers at their exact simulated time; a reset is only flagged here
 * because avr_reset() must not run inside the core's timer processing. */
static avr_cycle_count_t on_event(avr_t *avr, avr_cycle_count_t when, void *param) {
  event_t *ev = (event_t *)param;
  (void)avr;
  (void)when;
  ev->done = 1;
  if (ev->what == EV_UNPLUG) hx711_set_unplugged(&hx, 1);
  else if (ev->what == EV_REPLUG) hx711_set_unplugged(&hx, 0);
  else reset_pending = 1;
  return 0;
}

/* Commands on stdin, one per line, applied at the current simulated time and acknowledged on
 * stdout as "at <sim_s> <command>": force N | play | unplug | replug | reset |
 * button down|up|glitch (the patient button on D4, with contact bounce). They let a test
 * act when it has seen what it waited for (as a user places a weight when asked), whatever the
 * wall-clock pace of the simulation. */
static void run_command(avr_t *avr, const char *cmd) {
  double sim_t = (double)avr->cycle / (double)avr->frequency;
  double n;
  if (sscanf(cmd, "force %lf", &n) == 1) {
    prof.holding = 1;
    prof.held_n = n;
  } else if (!strcmp(cmd, "play")) {
    prof.holding = 0;
    prof.t0 = sim_t;
  } else if (!strcmp(cmd, "unplug")) hx711_set_unplugged(&hx, 1);
  else if (!strcmp(cmd, "replug")) hx711_set_unplugged(&hx, 0);
  else if (!strcmp(cmd, "reset")) reset_pending = 1;
  else if (!strncmp(cmd, "button ", 7) && button_command(&button, cmd + 7)) {
  } else {
    fprintf(stderr, "unknown command: %s\n", cmd);
    return;
  }
  printf("at %.6f %s\n", sim_t, cmd);
  fflush(stdout);
}

static void poll_commands(avr_t *avr) {
  static char buf[256];
  static size_t len;
  static int closed;
  struct pollfd pfd = {0, POLLIN, 0};
  if (closed || poll(&pfd, 1, 0) <= 0) return;
  ssize_t got = read(0, buf + len, sizeof buf - 1 - len);
  if (got <= 0) {
    closed = 1; /* stdin at EOF (e.g. /dev/null): run on the command line's plan alone */
    return;
  }
  len += (size_t)got;
  buf[len] = '\0';
  char *line = buf, *nl;
  while ((nl = strchr(line, '\n')) != NULL) {
    *nl = '\0';
    if (nl > line && nl[-1] == '\r') nl[-1] = '\0';
    char *hash = strchr(line, '#'); /* "unplug   # comment" as in the README */
    if (hash) *hash = '\0';
    for (char *end = line + strlen(line); end > line && (end[-1] == ' ' || end[-1] == '\t');)
      *--end = '\0';
    if (*line) run_command(avr, line);
    line = nl + 1;
  }
  len = strlen(line);
  memmove(buf, line, len + 1);
  if (len == sizeof buf - 1) len = 0; /* an over-long line: drop it */
}

/* (Re-)arm the events still to come; avr_reset() drops every cycle timer. */
static void schedule_events(avr_t *avr) {
  for (int i = 0; i < n_events; ++i) {
    if (events[i].done) continue;
    avr_cycle_count_t at = avr_usec_to_cycles(avr, (uint32_t)(events[i].at_s * 1e6));
    avr_cycle_timer_register(avr, at > avr->cycle ? at - avr->cycle : 1, on_event, &events[i]);
  }
}

static double wall_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Watch the pty for IN_OPEN; set up before the link exists, so no opener can slip past. */
static int watch_open(const char *pty) {
  int fd = inotify_init1(IN_NONBLOCK);
  if (fd >= 0 && inotify_add_watch(fd, pty, IN_OPEN) < 0) {
    close(fd);
    fd = -1;
  }
  if (fd < 0) fprintf(stderr, "cannot watch %s (%s): booting without waiting\n", pty, strerror(errno));
  return fd;
}

/* Blocks until someone has opened the pty or a stop signal arrives, then lets the opener settle
 * (pyserial flushes its input right after open(); a busy machine may delay that by a few ms)
 * before the MCU boots, much as the Uno's bootloader holds the sketch back after a DTR reset. */
static void wait_for_open(int fd, double settle_s) {
  struct pollfd pfd = {fd, POLLIN, 0};
  while (!stop_requested)
    if (poll(&pfd, 1, 100) > 0) break;
  close(fd);
  if (!stop_requested) usleep((useconds_t)(settle_s * 1e6));
}

/* uart_pty_stop() can spin forever when no reader is attached; cancel its thread instead. */
static void stop_pty(uart_pty_t *uart) {
  pthread_cancel(uart->thread);
  pthread_join(uart->thread, NULL);
  close(uart->pty.s);
}

static void usage(FILE *to, const char *argv0) {
  fprintf(to,
          "usage: %s FIRMWARE.elf --link PATH [--profile FILE | --points T:F,... | --force N]\n"
          "       [--offset COUNTS] [--scale COUNTS_PER_N] [--duration S]\n"
          "       [--unplug FROM:TO]... [--reset-at S]... [--no-wait] [--boot-delay S]\n"
          "       [--rate 80|10] [--fsr] [--unpaced]\n"
          "Runs FIRMWARE.elf on an ATmega328P at 16 MHz with an HX711 (DOUT D2, PD_SCK D3) and\n"
          "UART0 on a pty linked at PATH. Force in newtons: a profile from power-up (file of\n"
          "\"t_s force_n\" lines, or T:F pairs), or --force N held until \"play\"; counts =\n"
          "offset + scale * N (defaults 84213, 42800). Times are simulated seconds. Stdin takes\n"
          "commands: force N | play | unplug | replug | reset | button down|up|glitch (the\n"
          "patient button, D4 to GND, with contact bounce). --fsr also feeds A0 through an\n"
          "FSR divider (FSR 402 to 5 V, 10 kOhm to GND) for the FSR sketch.\n",
          argv0);
}

int main(int argc, char **argv) {
  const char *elf = NULL, *link_path = NULL;
  double duration = 0.0, boot_delay = 0.3;
  int rate = 80;
  int wait = 1, paced = 1, fsr = 0;
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    int bad = 0;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout, argv[0]);
      return 0;
    }
    if (!strcmp(a, "--link") && v) link_path = argv[++i];
    else if (!strcmp(a, "--profile") && v) {
      if (load_profile(argv[++i]) != 0) {
        fprintf(stderr, "cannot read profile %s: %s\n", v, strerror(errno));
        return 2;
      }
    } else if (!strcmp(a, "--points") && v) bad = parse_points(argv[++i]);
    else if (!strcmp(a, "--force") && v) {
      prof.holding = 1; /* a constant force until a "play" command */
      prof.held_n = atof(argv[++i]);
    }
    else if (!strcmp(a, "--offset") && v) prof.offset = atof(argv[++i]);
    else if (!strcmp(a, "--scale") && v) prof.scale = atof(argv[++i]);
    else if (!strcmp(a, "--duration") && v) duration = atof(argv[++i]);
    else if (!strcmp(a, "--boot-delay") && v) boot_delay = atof(argv[++i]);
    else if (!strcmp(a, "--rate") && v) {
      rate = atoi(argv[++i]);
      bad = rate != 10 && rate != 80;
    }
    else if (!strcmp(a, "--reset-at") && v) bad = add_event(atof(argv[++i]), EV_RESET);
    else if (!strcmp(a, "--unplug") && v) {
      double from, to;
      bad = sscanf(argv[++i], "%lf:%lf", &from, &to) != 2 || to <= from ||
            add_event(from, EV_UNPLUG) != 0 || add_event(to, EV_REPLUG) != 0;
    } else if (!strcmp(a, "--no-wait")) wait = 0;
    else if (!strcmp(a, "--unpaced")) paced = 0;
    else if (!strcmp(a, "--fsr")) fsr = 1;
    else if (a[0] != '-' && !elf) elf = a;
    else bad = 1;
    if (bad) {
      fprintf(stderr, "bad argument near %s\n", a);
      usage(stderr, argv[0]);
      return 2;
    }
  }
  if (!elf || !link_path) {
    usage(stderr, argv[0]);
    return 2;
  }

  elf_firmware_t fw;
  memset(&fw, 0, sizeof fw);
  if (elf_read_firmware(elf, &fw) != 0) {
    fprintf(stderr, "cannot read firmware %s\n", elf);
    return 2;
  }
  avr_t *avr = avr_make_mcu_by_name("atmega328p");
  if (!avr) return 2;
  avr_init(avr);
  avr->frequency = 16000000;
  avr_load_firmware(avr, &fw);
  avr->log = LOG_ERROR;
  avr->vcc = avr->avcc = avr->aref = VCC_MV;

  /* simavr sleeps ~85 us per UART status read while TXC/RXC are clear: not what the chip does */
  uint32_t flags = 0;
  avr_ioctl(avr, AVR_IOCTL_UART_GET_FLAGS('0'), &flags);
  flags &= ~AVR_UART_FLAG_POLL_SLEEP;
  avr_ioctl(avr, AVR_IOCTL_UART_SET_FLAGS('0'), &flags);

  static uart_pty_t uart;
  uart_pty_init(avr, &uart);
  uart_pty_connect(&uart, '0');
  int open_watch = wait ? watch_open(uart.pty.slavename) : -1;
  unlink(link_path);
  if (symlink(uart.pty.slavename, link_path) != 0) {
    fprintf(stderr, "cannot link %s: %s\n", link_path, strerror(errno));
    stop_pty(&uart);
    return 2;
  }
  printf("pty %s\n", uart.pty.slavename);
  fflush(stdout);

  hx711_init(avr, &hx, 'D', 2, profile_sample, report_error, NULL);
  hx711_set_rate_pin(&hx, rate == 80);
  avr_connect_irq(avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ('D'), 3), hx.irq + HX711_IRQ_SCK);
  avr_connect_irq(hx.irq + HX711_IRQ_DOUT, avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ('D'), 2));
  hx711_start(&hx);
  button_init(avr, &button, 'D', 4);
  if (fsr)
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_ADC_GETIRQ, ADC_IRQ_OUT_TRIGGER),
                            on_adc_start, avr);
  schedule_events(avr);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  if (open_watch >= 0) wait_for_open(open_watch, boot_delay);
  printf("ready\n");
  fflush(stdout);

  /* Pace: compare simulated and wall time every 1000 instructions, sleep when ahead. */
  double wall0 = wall_s();
  uint64_t steps = 0;
  unsigned resets = 0;
  while (!stop_requested) {
    int state = avr_run(avr);
    if (state == cpu_Done || state == cpu_Crashed) {
      fprintf(stderr, "firmware %s\n", state == cpu_Done ? "stopped" : "crashed");
      break;
    }
    if (reset_pending) {
      reset_pending = 0;
      resets++;
      avr_reset(avr); /* as the reset button or DTR would: firmware restarts, micros() from 0 */
      hx711_mcu_reset(&hx);
      button_mcu_reset(&button);
      schedule_events(avr);
    }
    if (++steps % 1000 != 0) continue;
    if (steps % 16000 == 0) poll_commands(avr); /* every ~1 ms of simulated time */
    double sim_t = (double)avr->cycle / (double)avr->frequency;
    if (duration > 0 && sim_t >= duration) break;
    double ahead = sim_t - (wall_s() - wall0);
    if (paced && ahead > 0.002) usleep((useconds_t)(ahead * 1e6));
  }
  double sim_t = (double)avr->cycle / (double)avr->frequency;
  double wall = wall_s() - wall0;
  fprintf(stderr,
          "hx711: %u conversions, %u reads, %u protocol errors, %u power-downs; "
          "longest read %.1f us, longest PD_SCK high %.1f us, %u clock edges with interrupts on; "
          "%u MCU resets; %.3f s simulated in %.3f s (%.2fx real time)\n",
          hx.conversions, hx.reads, hx.protocol_errors, hx.power_downs, hx.longest_read_us,
          hx.longest_sck_high_us, hx.edges_with_interrupts_on, resets, sim_t, wall,
          wall > 0 ? sim_t / wall : 0.0);
  unlink(link_path);
  stop_pty(&uart);
  avr_terminate(avr);
  return 0;
}
