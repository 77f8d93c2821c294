// Package reason formats what the built-in kill policies write in a
// decision's reason: the sentence the agent's audit log keeps for every
// kill. Containers are named as people see them (their name, else a
// short id), and sizes in binary units, so a line of the log can be read
// without looking anything up.
package reason
