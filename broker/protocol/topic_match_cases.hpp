// The topic-matching table of spec 4.7 plus the edge cases found since, for tests only: the
// protocol's topic_matches and the core's SubscriptionTree are two implementations of one rule
// and must agree on every row.
#pragma once

namespace arkmq::protocol::test {

struct TopicMatchCase {
  const char* filter;
  const char* topic;
  bool matches;
};

inline constexpr TopicMatchCase topic_match_cases[] = {
    // 4.7.1.2 multi-level wildcard
    {"sport/tennis/player1/#", "sport/tennis/player1", true},
    {"sport/tennis/player1/#", "sport/tennis/player1/ranking", true},
    {"sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true},
    {"sport/#", "sport", true},
    {"sport/tennis/#", "sport/tennis", true},
    {"#", "sport/tennis", true},
    {"#", "/", true},
    // 4.7.1.3 single-level wildcard
    {"sport/tennis/+", "sport/tennis/player1", true},
    {"sport/tennis/+", "sport/tennis/player2", true},
    {"sport/tennis/+", "sport/tennis/player1/ranking", false},
    {"sport/+", "sport", false},
    {"sport/+", "sport/", true},
    {"+", "sport", true},
    {"+/+", "/finance", true},
    {"/+", "/finance", true},
    {"+", "/finance", false},
    {"+/tennis/#", "sport/tennis/player1", true},
    {"+/tennis/#", "sport/tennis", true},
    {"+/tennis/#", "sport/football", false},
    // 4.7.2 topics beginning with $
    {"#", "$SYS/broker/load", false},
    {"+/monitor/Clients", "$SYS/monitor/Clients", false},
    {"+", "$SYS", false},
    {"$SYS/#", "$SYS/monitor/Clients", true},
    {"$SYS/monitor/+", "$SYS/monitor/Clients", true},
    {"$SYS/#", "$SYS", true},
    {"a/+", "a/$x", true},
    {"a/#", "a/$x", true},
    // 4.7.3 case sensitivity; empty levels are real levels
    {"ACCOUNTS", "accounts", false},
    {"sport/tennis", "sport/tennis", true},
    {"a/b/c", "a/b", false},
    {"a/b", "a/b/c", false},
    {"a//b", "a//b", true},
    {"a/+/b", "a//b", true},
    {"a/b", "a//b", false},
    {"a/b", "a/b/", false},
    {"a/b/", "a/b", false},
    {"/", "/", true},
    {"+/+", "/", true},
    {"+", "/", false},
};

}  // namespace arkmq::protocol::test
