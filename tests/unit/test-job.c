/* test-job.c: unit tests for a job's command, spec, output and owner */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "docker.h"
#include "job.h"
#include "lock.h"
#include "spec.h"
#include "../tap.h"

/* A service spec as Docker sends it, with a 64-bit value a double cannot
 * hold. */
static const char spec_text[] =
    "{\"Name\":\"blog\",\"Labels\":{\"deployer.allowUpdates\":\"true\","
    "\"deployer.job.command\":\"./migrate\"},"
    "\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"r/blog:v1@sha256:aa\","
    "\"Args\":[\"serve\"],\"Env\":[\"DB=main\"],\"User\":\"app\","
    "\"Healthcheck\":{\"Test\":[\"CMD\",\"check\"]},"
    "\"Secrets\":[{\"SecretName\":\"dbpass\",\"SecretID\":\"s1\"}],"
    "\"Mounts\":[{\"Type\":\"volume\",\"Source\":\"data\","
    "\"Target\":\"/data\"}]},"
    "\"Resources\":{\"Limits\":{\"MemoryBytes\":18446744073709551615}},"
    "\"RestartPolicy\":{\"Condition\":\"any\"},"
    "\"Placement\":{\"Constraints\":[\"node.role==worker\"]},"
    "\"Networks\":[{\"Target\":\"backend\"}]},"
    "\"Mode\":{\"Replicated\":{\"Replicas\":3}},"
    "\"UpdateConfig\":{\"Parallelism\":1},"
    "\"RollbackConfig\":{\"Parallelism\":1},"
    "\"EndpointSpec\":{\"Ports\":[{\"PublishedPort\":8080,"
    "\"TargetPort\":80}]}}";

static const cJSON *
at(const cJSON *o, const char *a, const char *b, const char *c)
{
	o = cJSON_GetObjectItemCaseSensitive(o, a);
	if (b != NULL)
		o = cJSON_GetObjectItemCaseSensitive(o, b);
	if (c != NULL)
		o = cJSON_GetObjectItemCaseSensitive(o, c);
	return o;
}

static const char *
str(const cJSON *v)
{
	return cJSON_IsString(v) ? v->valuestring : "(not a string)";
}

/* v as compact JSON text (static). */
static const char *
text(const cJSON *v)
{
	static char out[512];
	char *p = v ? cJSON_PrintUnformatted(v) : NULL;

	snprintf(out, sizeof(out), "%s", p ? p : "(absent)");
	cJSON_free(p);
	return out;
}

static void
test_command(void)
{
	cJSON *c;

	c = job_command("[\"./manage\", \"migrate\", \"--noinput\"]");
	is_str(text(c), "[\"./manage\",\"migrate\",\"--noinput\"]",
	    "command: a JSON array is the command as it is");
	cJSON_Delete(c);
	c = job_command("  [\"true\"]");
	is_str(text(c), "[\"true\"]", "command: ... after blanks");
	cJSON_Delete(c);
	c = job_command("./migrate && echo \"done\"");
	is_str(text(c), "[\"/bin/sh\",\"-c\",\"./migrate && echo \\\"done\\\"\"]",
	    "command: a string runs with /bin/sh -c");
	cJSON_Delete(c);
	ok(job_command("") == NULL, "command: empty is refused");
	ok(job_command("   ") == NULL, "command: blank is refused");
	ok(job_command("[]") == NULL, "command: an empty array is refused");
	ok(job_command("[1, 2]") == NULL, "command: numbers are refused");
	ok(job_command("[\"\", \"x\"]") == NULL,
	    "command: an empty program is refused");
	c = job_command("[ -f /x ] && echo y");
	is_str(text(c), "[\"/bin/sh\",\"-c\",\"[ -f /x ] && echo y\"]",
	    "command: a command line that starts with [ is one");
	cJSON_Delete(c);
	c = job_command("[\"a\"] x");
	is_str(text(c), "[\"/bin/sh\",\"-c\",\"[\\\"a\\\"] x\"]",
	    "command: ... so is an array with text after it");
	cJSON_Delete(c);
	ok(job_command("[\"a\", 1]") == NULL,
	    "command: an array with a number in it is refused");
}

static void
test_spec(void)
{
	const char *labels[] = { JOB_LABEL_FOR, "svc-id", JOB_LABEL_REQUEST,
		"0123456789abcdef", LOCK_LABEL_OWNER, "host 42 99", NULL };
	struct service svc;
	struct job job;
	struct buf out;
	cJSON *j, *plat;

	memset(&svc, 0, sizeof(svc));
	memset(&job, 0, sizeof(job));
	svc.raw = strdup(spec_text);
	svc.spec.off = 0;
	svc.spec.len = strlen(spec_text);
	snprintf(job.name, sizeof(job.name), "blog-job-0123456789abcdef");
	snprintf(job.image, sizeof(job.image), "r/blog:v2@sha256:bb");
	job.command = job_command("[\"./migrate\", \"up\"]");
	plat = cJSON_Parse("[{\"Architecture\":\"amd64\",\"OS\":\"linux\"}]");
	buf_init(&out, SPEC_MAX);
	is_int(job_spec(&svc, &job, plat, labels, &out), 0, "spec: made");
	j = cJSON_ParseWithLength(out.data, out.len);
	ok(j != NULL, "spec: valid JSON");
	is_str(str(at(j, "Name", NULL, NULL)), "blog-job-0123456789abcdef",
	    "spec: the job's name");
	is_str(text(at(j, "Labels", NULL, NULL)),
	    "{\"deployer.job.for\":\"svc-id\",\"deployer.job.request\":"
	    "\"0123456789abcdef\",\"deployer.owner\":\"host 42 99\"}",
	    "spec: only the job's labels (no allowUpdates, no job command)");
	is_str(text(at(j, "Mode", NULL, NULL)),
	    "{\"ReplicatedJob\":{\"MaxConcurrent\":1,\"TotalCompletions\":1}}",
	    "spec: one task, a replicated job");
	is_str(text(at(j, "TaskTemplate", "RestartPolicy", NULL)),
	    "{\"Condition\":\"none\",\"MaxAttempts\":0}", "spec: no restarts");
	is_str(str(at(j, "TaskTemplate", "ContainerSpec", "Image")),
	    "r/blog:v2@sha256:bb", "spec: the new image");
	is_str(text(at(j, "TaskTemplate", "ContainerSpec", "Command")),
	    "[\"./migrate\",\"up\"]", "spec: the job's command");
	ok(cJSON_IsNull(at(j, "TaskTemplate", "ContainerSpec", "Args")),
	    "spec: the service's args dropped");
	is_str(text(at(j, "TaskTemplate", "ContainerSpec", "Healthcheck")),
	    "{\"Test\":[\"NONE\"]}", "spec: no health check");
	ok(cJSON_IsNull(at(j, "UpdateConfig", NULL, NULL)) &&
	        cJSON_IsNull(at(j, "RollbackConfig", NULL, NULL)),
	    "spec: no update or rollback config");
	ok(cJSON_IsNull(at(j, "EndpointSpec", NULL, NULL)),
	    "spec: no published ports");
	is_str(text(at(j, "TaskTemplate", "ContainerSpec", "Env")),
	    "[\"DB=main\"]", "spec: the service's environment");
	is_str(str(at(j, "TaskTemplate", "ContainerSpec", "User")), "app",
	    "spec: ... user");
	is_str(text(at(j, "TaskTemplate", "ContainerSpec", "Secrets")),
	    "[{\"SecretName\":\"dbpass\",\"SecretID\":\"s1\"}]",
	    "spec: ... secrets");
	is_str(text(at(j, "TaskTemplate", "ContainerSpec", "Mounts")),
	    "[{\"Type\":\"volume\",\"Source\":\"data\",\"Target\":\"/data\"}]",
	    "spec: ... mounts");
	is_str(text(at(j, "TaskTemplate", "Networks", NULL)),
	    "[{\"Target\":\"backend\"}]", "spec: ... networks");
	is_str(text(at(j, "TaskTemplate", "Placement", "Constraints")),
	    "[\"node.role==worker\"]", "spec: ... placement constraints");
	is_str(text(at(j, "TaskTemplate", "Placement", "Platforms")),
	    "[{\"Architecture\":\"amd64\",\"OS\":\"linux\"}]",
	    "spec: ... and the image's platforms");
	ok(strstr(buf_str(&out), "\"MemoryBytes\":18446744073709551615") !=
	        NULL,
	    "spec: a 64-bit value survives byte for byte");
	cJSON_Delete(j);
	buf_reset(&out);
	is_int(job_spec(&svc, &job, NULL, labels, &out), 0,
	    "spec: without platforms");
	j = cJSON_ParseWithLength(out.data, out.len);
	ok(at(j, "TaskTemplate", "Placement", "Platforms") == NULL,
	    "spec: ... none are added");
	cJSON_Delete(j);
	buf_free(&out);
	cJSON_Delete(plat);
	job_free(&job);
	free(svc.raw);
}

static void
test_wanted(void)
{
	struct service svc;

	memset(&svc, 0, sizeof(svc));
	svc.raw = strdup(spec_text);
	svc.spec.len = strlen(spec_text);
	ok(job_wanted(&svc), "wanted: a service with the command label");
	free(svc.raw);
	svc.raw = strdup("{\"Labels\":{\"deployer.job.timeout\":\"3\"}}");
	svc.spec.len = strlen(svc.raw);
	ok(!job_wanted(&svc), "wanted: ... not one without it");
	free(svc.raw);
}

static void
test_lines(void)
{
	struct buf in;
	cJSON *l;
	char line[1000];
	int i;

	buf_init(&in, 1 << 20);
	for (i = 1; i <= 30; i++)
		buf_addf(&in, "line %d\n", i);
	l = job_lines(in.data, in.len);
	is_int(cJSON_GetArraySize(l), JOB_OUTPUT_LINES, "lines: at most 20");
	is_str(str(cJSON_GetArrayItem(l, 0)), "line 11", "lines: the last ones");
	is_str(str(cJSON_GetArrayItem(l, 19)), "line 30", "lines: ... to the end");
	cJSON_Delete(l);
	l = job_lines("a\r\nb", 4);
	is_str(text(l), "[\"a\",\"b\"]", "lines: CR LF, and no final newline");
	cJSON_Delete(l);
	l = job_lines("ok \xff\xfe done\n", 10);
	is_str(str(cJSON_GetArrayItem(l, 0)), "ok ?? done",
	    "lines: bytes that are not UTF-8 become '?'");
	cJSON_Delete(l);
	memset(line, 'x', sizeof(line));
	l = job_lines(line, sizeof(line));
	is_int((long)strlen(str(cJSON_GetArrayItem(l, 0))), JOB_LINE_MAX,
	    "lines: a long line is cut");
	cJSON_Delete(l);
	l = job_lines("\xc3\xa9t\xc3\xa9", 5);
	is_str(str(cJSON_GetArrayItem(l, 0)), "\xc3\xa9t\xc3\xa9",
	    "lines: UTF-8 kept");
	cJSON_Delete(l);
	l = job_lines("a\0b\n", 4);
	is_str(str(cJSON_GetArrayItem(l, 0)), "a?b", "lines: a NUL becomes '?'");
	cJSON_Delete(l);
	l = job_lines("", 0);
	is_str(text(l), "[]", "lines: no output");
	cJSON_Delete(l);
	buf_free(&in);
}

static void
test_owner(void)
{
	char self[LOCK_OWNER_MAX], child[LOCK_OWNER_MAX] = "", other[64];
	int fds[2];
	pid_t pid;
	ssize_t n;

	is_int(lock_owner_self(self, sizeof(self)), 0, "owner: this process");
	ok(lock_owner_dead(self),
	    "owner: this very process holds no lock of another request");
	snprintf(other, sizeof(other), "some-other-host-name 4026531836 1 1");
	ok(!lock_owner_dead(other), "owner: another host's is not judged");
	snprintf(other, sizeof(other), "%.*s 1 %ld 1",
	    (int)strcspn(self, " "), self, (long)getppid());
	ok(!lock_owner_dead(other),
	    "owner: nor another PID namespace's (%s)", other);
	ok(!lock_owner_dead("garbage"), "owner: nor a malformed one");
	if (pipe(fds) == -1 || (pid = fork()) == -1) {
		ok(0, "owner: fork");
		return;
	}
	if (pid == 0) {
		close(fds[0]);
		if (lock_owner_self(child, sizeof(child)) == 0)
			(void)!write(fds[1], child, strlen(child));
		close(fds[1]);
		pause();
		_exit(0);
	}
	close(fds[1]);
	n = read(fds[0], child, sizeof(child) - 1);
	close(fds[0]);
	child[n > 0 ? n : 0] = '\0';
	ok(!lock_owner_dead(child), "owner: a live process of this host (%s)",
	    child);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ok(lock_owner_dead(child), "owner: ... is dead once killed");
}

int
main(void)
{
	test_command();
	test_spec();
	test_wanted();
	test_lines();
	test_owner();
	return tap_done();
}
