// Package kafkaadapter connects omen's engine to Kafka with franz-go: a consumer-group source for
// analytics messages, publishers for the result topics, and a dead-letter topic.
package kafkaadapter
