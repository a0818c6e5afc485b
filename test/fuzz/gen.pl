#!/usr/bin/env perl
# Random SQL over a fixed schema, for the live-view fuzzer (test/fuzz/run.sh).
#
#   gen.pl --seed S --count N [--first I] [--avoid BUGS]
#                                           N queries, one per line: queries I..I+N-1
#   gen.pl --seed S --schema                the schema and its initial rows
#   gen.pl --seed S --count N --dml [--stream K]   N random write transactions
#                                           (K: another stream of them)
#
# Query I depends only on (S, I), so "--first I --count 1" prints it again.
#
# Every query is deterministic: the same rows give the same result, so a
# live view can be compared with a fresh run of its query.  Aggregates whose
# result depends on input order (string_agg, array_agg) order by their own
# argument; DISTINCT ON orders by every selected expression after its keys;
# no float, no volatile function, nothing that can fail at run time (no
# division, no cast that can fail).  A few queries (about 1 in 30) hold a
# construct that docs/sql.md lists as refused, to exercise refusals.
#
# The schema: four small tables without keys (duplicates allowed), ints
# with small domains so that joins match, text with few values, NULLs in
# every column, a numeric and a boolean.
#
#   r (id int, k int, g text, v numeric(8,2), f bool)   about 25 rows
#   s (id int, k int, h text, w int)                    about 25 rows
#   u (k int, g text, x int)                            about 15 rows
#   d (g text, h text, n int)                           about 8 rows
use strict;
use warnings;
use Getopt::Long;

my ($seed, $count, $first, $schema, $dml, $stream, $avoid) = (1, 10, 1, 0, 0, 0, '');
GetOptions(
	'seed=s'  => \$seed,
	'count=i' => \$count,
	'first=i' => \$first,
	'schema'  => \$schema,
	'dml'     => \$dml,
	'stream=i' => \$stream,
	'avoid=s'  => \$avoid,
) or die "usage: gen.pl --seed S [--count N] [--first I] [--avoid BUGS] [--schema | --dml [--stream K]]\n";
die "gen.pl: --seed must be a non-negative integer\n" unless $seed =~ /^\d{1,12}$/;
die "gen.pl: --stream must be below 100000\n" unless $stream >= 0 && $stream < 100000;
# Known engine bugs to steer clear of (comma-separated), so that a run can
# look past them:
#   setop-types   the two sides of a set operation get identical column
#                 types (explicit casts), never int on one and bigint or
#                 numeric on the other (test/fuzz/repro/001.sql to 003.sql)
my %AVOID = map { $_ => 1 } grep { length } split(/,/, $avoid);
for (keys %AVOID) { die "gen.pl: unknown --avoid '$_'\n" unless $_ eq 'setop-types'; }

my %TABLE = (
	r => [[id => 'int'], [k => 'int'], [g => 'text'], [v => 'num'], [f => 'bool']],
	s => [[id => 'int'], [k => 'int'], [h => 'text'], [w => 'int']],
	u => [[k => 'int'], [g => 'text'], [x => 'int']],
	d => [[g => 'text'], [h => 'text'], [n => 'int']],
);
my @TABLES = qw(r s u d);
my $MAX_DEPTH = 2;

# ------------------------------------------------------------ randomness

sub rint { my ($lo, $hi) = @_; return $lo + int(rand($hi - $lo + 1)); }
sub pick { return $_[int(rand(@_))]; }
sub chance { return rand() < $_[0]; }

# wpick(w1 => v1, w2 => v2, ...): a value, by weight
sub wpick
{
	my @p = @_;
	my $total = 0;
	for (my $i = 0; $i < @p; $i += 2) { $total += $p[$i]; }
	my $r = rand($total);
	for (my $i = 0; $i < @p; $i += 2)
	{
		return $p[$i + 1] if ($r -= $p[$i]) < 0;
	}
	return $p[-1];
}

# int, big (bigint) and num compare with each other; text, bool and arrays
# only with their own kind
# The type of int op bigint and the like.
sub promote
{
	my ($a, $b) = @_;
	my %rank = (int => 1, big => 2, num => 3);
	return $a if $a eq $b || !$rank{$a} || !$rank{$b};
	return $rank{$a} > $rank{$b} ? $a : $b;
}

sub cat_of
{
	my $t = shift;
	return 'n' if $t eq 'int' || $t eq 'big' || $t eq 'num';
	return 't' if $t eq 'text';
	return 'b' if $t eq 'bool';
	return 'a';
}

# ------------------------------------------------------------ values

# Values as they appear in the tables (also used by the writers).
sub val_int { my ($lo, $hi) = @_; return chance(0.12) ? 'NULL' : rint($lo, $hi); }
sub val_text { return chance(0.12) ? 'NULL' : "'" . pick(qw(a b c d e)) . "'"; }
sub val_num { return chance(0.12) ? 'NULL' : sprintf('%.2f', rint(0, 39) * 0.25); }
sub val_bool { return chance(0.12) ? 'NULL' : pick('true', 'false'); }

sub row_r { return sprintf('(%s, %s, %s, %s, %s)', val_int(1, 30), val_int(0, 5), val_text(), val_num(), val_bool()); }
sub row_s { return sprintf('(%s, %s, %s, %s)', val_int(1, 30), val_int(0, 5), val_text(), val_int(0, 9)); }
sub row_u { return sprintf('(%s, %s, %s)', val_int(0, 5), val_text(), val_int(0, 5)); }
sub row_d { return sprintf('(%s, %s, %s)', val_text(), val_text(), val_int(0, 5)); }
my %ROW = (r => \&row_r, s => \&row_s, u => \&row_u, d => \&row_d);

# Constants in predicates, by column type.
sub const_of
{
	my $t = shift;
	return rint(0, 5) if $t eq 'int' || $t eq 'big';
	return sprintf('%.2f', rint(0, 20) * 0.5) if $t eq 'num';
	return "'" . pick(qw(a b c d)) . "'" if $t eq 'text';
	return pick('true', 'false');
}

# ------------------------------------------------------------ the schema

sub print_schema
{
	srand($seed * 7 + 3);
	print "CREATE TABLE r (id int, k int, g text, v numeric(8,2), f bool);\n";
	print "CREATE TABLE s (id int, k int, h text, w int);\n";
	print "CREATE TABLE u (k int, g text, x int);\n";
	print "CREATE TABLE d (g text, h text, n int);\n";
	my %rows = (r => 25, s => 25, u => 15, d => 8);
	for my $t (@TABLES)
	{
		my @rows = map { $ROW{$t}->() } 1 .. $rows{$t};
		print "INSERT INTO $t VALUES ", join(', ', @rows), ";\n";
		# exact duplicates
		print "INSERT INTO $t SELECT * FROM $t LIMIT 2;\n";
	}
}

# ------------------------------------------------------------ the writers

# One statement on table $t: inserts (with duplicates and NULLs), updates
# that move rows between groups and change join keys, deletes.
sub dml_statement
{
	my $t = shift;
	my $kind = wpick(4 => 'insert', 4 => 'update', 3 => 'delete', 1 => 'dup');
	if ($kind eq 'insert')
	{
		return "INSERT INTO $t VALUES " . join(', ', map { $ROW{$t}->() } 1 .. rint(1, 2));
	}
	if ($kind eq 'dup')
	{
		my ($c, $ty) = @{ pick(@{ $TABLE{$t} }) };
		return "INSERT INTO $t SELECT * FROM $t WHERE $c = " . const_of($ty) . " LIMIT 1";
	}
	if ($kind eq 'delete')
	{
		return pick(
			"DELETE FROM r WHERE id = " . rint(1, 30),
			"DELETE FROM r WHERE ctid = (SELECT ctid FROM r WHERE k IS NOT DISTINCT FROM " . val_int(0, 5) . " LIMIT 1)",
			"DELETE FROM r WHERE id > 25 AND g IS NULL")
			if $t eq 'r';
		return pick(
			"DELETE FROM s WHERE id = " . rint(1, 30),
			"DELETE FROM s WHERE k = " . rint(0, 5) . " AND w = " . rint(0, 9))
			if $t eq 's';
		return "DELETE FROM u WHERE k = " . rint(0, 5) . " AND x = " . rint(0, 5) if $t eq 'u';
		return "DELETE FROM d WHERE g = " . val_text() . " AND n = " . rint(0, 5);
	}
	# updates
	if ($t eq 'r')
	{
		return pick(
			"UPDATE r SET k = " . val_int(0, 5) . " WHERE id = " . rint(1, 30),
			"UPDATE r SET g = " . val_text() . " WHERE id = " . rint(1, 30),
			"UPDATE r SET k = (k + 1) % 6 WHERE g = " . val_text(),
			"UPDATE r SET v = CASE WHEN v > 9 THEN NULL WHEN v IS NULL THEN 0.5 ELSE v + 0.75 END WHERE k = " . rint(0, 5),
			"UPDATE r SET f = NOT f, g = " . val_text() . " WHERE id % 4 = " . rint(0, 3),
			"UPDATE r SET id = " . rint(1, 30) . ", k = " . val_int(0, 5) . ", v = " . val_num() . " WHERE id = " . rint(1, 30));
	}
	if ($t eq 's')
	{
		return pick(
			"UPDATE s SET k = " . val_int(0, 5) . " WHERE id = " . rint(1, 30),
			"UPDATE s SET h = " . val_text() . ", w = " . val_int(0, 9) . " WHERE id = " . rint(1, 30),
			"UPDATE s SET w = (w + 3) % 10 WHERE k IN (SELECT k FROM u WHERE x = " . rint(0, 5) . ")",
			"UPDATE s SET k = NULL WHERE h = " . val_text() . " AND id % 3 = 0");
	}
	if ($t eq 'u')
	{
		return pick(
			"UPDATE u SET k = " . val_int(0, 5) . " WHERE x = " . rint(0, 5),
			"UPDATE u SET g = CASE WHEN g IS NULL THEN 'b' ELSE NULL END WHERE k = " . rint(0, 5),
			"UPDATE u SET x = (x + 1) % 6 WHERE g = " . val_text());
	}
	return pick(
		"UPDATE d SET n = " . val_int(0, 5) . " WHERE g = " . val_text(),
		"UPDATE d SET h = " . val_text() . " WHERE n = " . rint(0, 5));
}

# A transaction touches its tables in one fixed order, one statement each,
# so that two sessions wait for each other but do not deadlock.
sub print_dml
{
	for my $i (1 .. $count)
	{
		srand($seed * 1000003 + $stream * 100003 + $i);
		if (chance(0.06))
		{
			# keep the tables small: delete the rows past a bound, in an
			# order given by their contents
			my $t = pick(@TABLES);
			my %bound = (r => 30, s => 30, u => 18, d => 10);
			print "DELETE FROM $t WHERE ctid IN (SELECT ctid FROM $t x ORDER BY md5(x::text) OFFSET $bound{$t});\n";
			next;
		}
		my @t = grep { chance(0.45) } @TABLES;
		@t = (pick(@TABLES)) unless @t;
		my @stmts = map { dml_statement($_) } @t;
		if (@stmts == 1 && chance(0.4))
		{
			print "$stmts[0];\n";
			next;
		}
		my $end = chance(0.12) ? 'ROLLBACK' : 'COMMIT';
		if (chance(0.1))
		{
			# a savepoint rolled back in the middle: the statement after it is undone
			my $t = pick(@TABLES);
			splice(@stmts, rint(0, $#stmts), 0,
				'SAVEPOINT sp', dml_statement($t), 'ROLLBACK TO SAVEPOINT sp');
		}
		print "BEGIN;\n", map({ "$_;\n" } @stmts), "$end;\n";
	}
}

# ------------------------------------------------------------ queries
#
# A relation is { from => "r t3", alias => 't3', cols => [[name, type], ...],
# table => 'r' for a table }; a scope is a list of [expr, type].

my $ALIAS;        # alias counter of the current query

sub new_alias { return 't' . ++$ALIAS; }

sub scope_of
{
	my @rels = @_;
	my @scope;
	for my $rel (@rels)
	{
		push @scope, ["$rel->{alias}.$_->[0]", $_->[1]] for @{ $rel->{cols} };
	}
	return @scope;
}

sub cols_of_cat
{
	my ($cat, @scope) = @_;
	return grep { cat_of($_->[1]) eq $cat } @scope;
}

sub base_relation
{
	my $t = shift // pick(@TABLES);
	my $a = new_alias();
	return { from => "$t $a", alias => $a, cols => $TABLE{$t}, table => $t };
}

# A FROM item: a table (ONLY now and then), a WITH query, a generated
# query, or a VALUES list.
sub gen_relation
{
	my ($depth, $ctes) = @_;
	if (@$ctes && chance(0.45))
	{
		my $c = pick(@$ctes);
		my $a = new_alias();
		return { from => "$c->{name} $a", alias => $a, cols => $c->{cols} };
	}
	if ($depth < $MAX_DEPTH && chance(0.2))
	{
		my $q = gen_query($depth + 1, { ctes => $ctes, noarr => 1 });
		my $a = new_alias();
		return { from => "($q->{sql}) $a", alias => $a, cols => $q->{cols} };
	}
	# now and then rows that read no table (a VALUES list), or ONLY a table
	if (chance(0.04))
	{
		my $a = new_alias();
		my @rows = map { '(' . (chance(0.15) ? 'NULL' : const_of('int')) . '::int, ' .
			(chance(0.15) ? 'NULL' : const_of('text')) . '::text)' } 1 .. rint(1, 3);
		return { from => '(VALUES ' . join(', ', @rows) . ") $a(k, g)", alias => $a,
				 cols => [[k => 'int'], [g => 'text']] };
	}
	my $rel = base_relation();
	$rel->{from} = "ONLY $rel->{from}" if chance(0.05);
	return $rel;
}

# ---- expressions

sub num_expr
{
	my ($depth, $ctes, @scope) = @_;
	my @n = cols_of_cat('n', @scope);
	return (rint(1, 3), 'int') unless @n;
	my ($c, $t) = @{ pick(@n) };
	return wpick(
		10 => sub { ($c, $t) },
		2  => sub { ("$c + " . rint(1, 3), $t) },
		1  => sub { my ($c2, $t2) = @{ pick(@n) }; ("$c - $c2", promote($t, $t2)) },
		1  => sub { ("$c * 2", $t) },
		2  => sub { ("coalesce($c, " . const_of($t) . ")", $t) },
		1  => sub { ("CASE WHEN " . pred(1, $depth, $ctes, @scope) . " THEN $c ELSE " . const_of($t) . " END", $t) },
		1  => sub { ("abs($c - 2)", $t) },
		1  => sub { ("greatest($c, " . const_of($t) . ")", $t) },
		1  => sub { ("nullif($c, " . const_of($t) . ")", $t) },
		1  => sub { ("$c % 3", $t) },
		($depth < $MAX_DEPTH ? (1 => sub { scalar_subquery($depth, $ctes, 'n', @scope) }) : ()),
	)->();
}

sub text_expr
{
	my ($depth, $ctes, @scope) = @_;
	my @t = cols_of_cat('t', @scope);
	return ("CASE WHEN " . pred(1, $depth, $ctes, @scope) . " THEN 'y' ELSE 'n' END", 'text') unless @t;
	my ($c) = @{ pick(@t) };
	return wpick(
		10 => sub { ($c, 'text') },
		2  => sub { ("coalesce($c, 'z')", 'text') },
		1  => sub { ("upper($c)", 'text') },
		1  => sub { my ($c2) = @{ pick(@t) }; ("$c || '-' || $c2", 'text') },
		1  => sub { ("CASE WHEN " . pred(1, $depth, $ctes, @scope) . " THEN $c ELSE 'q' END", 'text') },
		($depth < $MAX_DEPTH ? (1 => sub { scalar_subquery($depth, $ctes, 't') }) : ()),
	)->();
}

sub expr_of_cat
{
	my ($cat, $depth, $ctes, @scope) = @_;
	return num_expr($depth, $ctes, @scope) if $cat eq 'n';
	return text_expr($depth, $ctes, @scope) if $cat eq 't';
	my @b = cols_of_cat('b', @scope);
	return ($b[0][0], 'bool') if @b && chance(0.5);
	return ('(' . pred(1, $depth, $ctes, @scope) . ')', 'bool');
}

# A scalar subquery that is a global aggregate (maintained as a one-row join),
# correlated with the scope now and then: by an equality (a grouped LEFT
# JOIN; sometimes also grouped, or DISTINCT, by the inner side of the
# equality: a subquery that could yield several rows) or by an inequality
# (a magic set).
sub scalar_subquery
{
	my ($depth, $ctes, $cat, @scope) = @_;
	my $rel = base_relation();
	my @in = scope_of($rel);
	my @conds;
	push @conds, pred(1, $MAX_DEPTH, [], @in) if chance(0.4);
	if (@scope && chance(0.35))
	{
		my $c = chance(0.5) ? corr_inequality(\@scope, \@in) : corr_equality(\@scope, \@in);
		push @conds, $c if $c;
	}
	my $where = @conds ? ' WHERE ' . join(' AND ', @conds) : '';
	my $group = '';
	# now and then grouped (or DISTINCT) by the inner side of an equality:
	# one group per outer row still, through the several-rows plan
	if (@conds && $conds[-1] =~ /^\S+ = (\w+\.\w+)$/ && chance(0.3))
	{
		my $inner = $1;
		my ($icat) = map { cat_of($_->[1]) } grep { $_->[0] eq $inner } @in;
		return ("(SELECT DISTINCT $inner FROM $rel->{from}$where)", $icat eq 't' ? 'text' : 'int')
			if chance(0.3) && defined $icat && $icat eq $cat && $cat eq 't';
		$group = " GROUP BY $inner";
	}
	my ($agg, $t);
	if ($cat eq 't' && cols_of_cat('t', @in))
	{
		my ($c) = @{ pick(cols_of_cat('t', @in)) };
		($agg, $t) = (pick('min', 'max') . "($c)", 'text');
	}
	else
	{
		my ($c, $ct) = @{ pick(cols_of_cat('n', @in)) };
		($agg, $t) = wpick(
			2 => sub { ('count(*)', 'big') },
			2 => sub { ("sum($c)", $ct eq 'int' ? 'big' : 'num') },
			1 => sub { ("avg($c)", 'num') },
			2 => sub { (pick('min', 'max') . "($c)", $ct) },
		)->();
	}
	return ("(SELECT $agg FROM $rel->{from}$where$group)", $t);
}

# ---- predicates

# Two different columns of a list of at least two.
sub two_of
{
	my @c = map { $_->[0] } @_;
	my $i = int(rand(@c));
	my $j = int(rand(@c - 1));
	$j++ if $j >= $i;
	return ($c[$i], $c[$j]);
}

# A boolean expression over the scope; $nest bounds AND/OR/NOT nesting.
sub pred
{
	my ($nest, $depth, $ctes, @scope) = @_;
	my @n = cols_of_cat('n', @scope);
	my @t = cols_of_cat('t', @scope);
	my @b = cols_of_cat('b', @scope);
	my @any = (@n, @t, @b);
	return 'true' unless @any;
	my @choices = (
		(@n ? (6 => sub {
			my ($c, $ty) = @{ pick(@n) };
			"$c " . pick('=', '<>', '<>', '<', '<=', '>', '>=', '>=') . ' ' . const_of($ty) }) : ()),
		(@n > 1 ? (2 => sub {
			my ($c1, $c2) = two_of(@n);
			"$c1 " . pick('=', '<', '>=', '<>') . " $c2" }) : ()),
		(@t ? (4 => sub {
			my ($c) = @{ pick(@t) };
			pick("$c = " . const_of('text'), "$c <> " . const_of('text'), "$c < " . const_of('text'), "$c >= " . const_of('text'),
				"$c LIKE '" . pick(qw(a b c)) . "%'", "$c IN ('a', " . const_of('text') . ")") }) : ()),
		(@t > 1 ? (1 => sub {
			my ($c1, $c2) = two_of(@t);
			"$c1 " . pick('=', '<>', '<') . " $c2" }) : ()),
		3 => sub { my ($c) = @{ pick(@any) }; "$c IS " . pick('', 'NOT ') . 'NULL' },
		(@n ? (2 => sub {
			my ($c, $ty) = @{ pick(@n) };
			my ($lo, $hi) = sort { $a <=> $b } (const_of($ty), const_of($ty));
			"$c " . pick('', 'NOT ') . "BETWEEN $lo AND $hi" }) : ()),
		(@n ? (1 => sub {
			my ($c, $ty) = @{ pick(@n) };
			"coalesce($c, " . const_of($ty) . ") = " . const_of($ty) }) : ()),
		1 => sub {
			my ($c, $ty) = @{ pick(@n, @t) // [] };
			defined $c ? "$c IS " . pick('', 'NOT ') . "DISTINCT FROM " . const_of($ty) : 'true' },
		(@b ? (2 => sub { my ($c) = @{ pick(@b) }; pick($c, "NOT $c", "$c IS TRUE", "$c IS NOT FALSE") }) : ()),
		($nest < 3 ? (
			1 => sub { '(' . pred($nest + 1, $depth, $ctes, @scope) . ' AND ' . pred($nest + 1, $depth, $ctes, @scope) . ')' },
			3 => sub { '(' . pred($nest + 1, $depth, $ctes, @scope) . ' OR ' . pred($nest + 1, $depth, $ctes, @scope) . ')' },
			1 => sub { 'NOT (' . pred($nest + 1, $depth, $ctes, @scope) . ')' },
			1 => sub { 'CASE WHEN ' . pred($nest + 1, $depth, $ctes, @scope) . ' THEN ' . pred($nest + 1, $depth, $ctes, @scope)
				. ' ELSE ' . pred($nest + 1, $depth, $ctes, @scope) . ' END' },
		) : ()),
		# a scalar subquery compared with a column
		($depth < $MAX_DEPTH && @n ? (1 => sub {
			my ($c) = @{ pick(@n) };
			my ($sq) = scalar_subquery($depth, $ctes, 'n', @scope);
			"$c " . pick('<', '>=', '=', '<>') . " $sq" }) : ()),
	);
	return wpick(@choices)->();
}

# An equality between a column of the scope and one of the relation.
sub corr_equality
{
	my ($scope, $rel_scope) = @_;
	my @pairs;
	for my $o (@$scope)
	{
		my $oc = cat_of($o->[1]);
		next unless $oc eq 'n' || $oc eq 't';
		for my $i (@$rel_scope)
		{
			# columns of the same name (same domain) mostly, then any of the
			# same type, int with numeric now and then
			next unless cat_of($i->[1]) eq $oc;
			my ($on) = $o->[0] =~ /\.(\w+)$/;
			my ($in) = $i->[0] =~ /\.(\w+)$/;
			my $w = ($o->[1] ne $i->[1]) ? 1 : ($on eq $in && $on ne 'id') ? 12 : 3;
			push @pairs, ($w => [$o->[0], $i->[0]]);
		}
	}
	return undef unless @pairs;
	my $p = wpick(@pairs);
	return "$p->[0] = $p->[1]";
}

# An inequality between a column of the scope and one of the relation (a
# correlation through a magic set), or undef.
sub corr_inequality
{
	my ($scope, $rel_scope) = @_;
	my @pairs;
	for my $o (@$scope)
	{
		next unless cat_of($o->[1]) eq 'n';
		for my $i (@$rel_scope)
		{
			push @pairs, [$o->[0], $i->[0]] if cat_of($i->[1]) eq 'n';
		}
	}
	return undef unless @pairs;
	my $p = pick(@pairs);
	return "$p->[1] " . pick('<', '<=', '>', '<>') . " $p->[0]";
}

# A subquery predicate: [NOT] EXISTS or IN, correlated through equalities
# (EXISTS also with an inequality beside or instead, as TPC-H Q21).
sub subquery_pred
{
	my ($depth, $ctes, @scope) = @_;
	my $rel = ($depth < $MAX_DEPTH && chance(0.25))
		? do { my $q = gen_query($depth + 1, { ctes => $ctes, noarr => 1 }); my $a = new_alias();
			{ from => "($q->{sql}) $a", alias => $a, cols => $q->{cols} } }
		: base_relation();
	my @in = scope_of($rel);
	my @conds;
	my $kind = wpick(4 => 'exists', 3 => 'not exists', 3 => 'in');
	if ($kind eq 'in')
	{
		my $eq = corr_equality(\@scope, \@in);
		if ($eq)
		{
			my $p = [split(/ = /, $eq)];
			push @conds, pred(1, $MAX_DEPTH, [], @in) if chance(0.5);
			if (chance(0.25))
			{
				my $eq = corr_equality(\@scope, \@in);
				push @conds, $eq if $eq;
			}
			my $where = @conds ? ' WHERE ' . join(' AND ', @conds) : '';
			if (chance(0.2))
			{
				# IN over a grouped subquery
				return "$p->[0] IN (SELECT $p->[1] FROM $rel->{from}$where GROUP BY $p->[1] HAVING count(*) "
					. pick('>', '<=') . ' ' . rint(1, 3) . ')';
			}
			return "$p->[0] IN (SELECT $p->[1] FROM $rel->{from}$where)";
		}
		$kind = 'exists';
	}
	my $eq = corr_equality(\@scope, \@in);
	push @conds, $eq if $eq && chance(0.9);
	if ($eq && chance(0.2))
	{
		my $eq2 = corr_equality(\@scope, \@in);
		push @conds, $eq2 if $eq2;
	}
	if (chance(0.25))
	{
		my $ne = corr_inequality(\@scope, \@in);
		push @conds, $ne if $ne;
	}
	push @conds, pred(1, $MAX_DEPTH, [], @in) if chance(0.5);
	my $where = @conds ? ' WHERE ' . join(' AND ', @conds) : '';
	return uc($kind) . " (SELECT 1 FROM $rel->{from}$where)";
}

# ---- FROM

# A join condition between $new and the relations before it; undef when no
# pair of columns can be compared.
sub join_condition
{
	my ($type, $left, $new, $depth, $ctes) = @_;
	my @ls = scope_of(@$left);
	my @rs = scope_of($new);
	my $eq = corr_equality(\@ls, \@rs);
	return undef unless defined $eq;
	my @c = ($eq);
	if (chance(0.2))
	{
		my $eq2 = corr_equality(\@ls, \@rs);
		push @c, $eq2 if $eq2 && $eq2 ne $eq;
	}
	if ($type eq 'JOIN' && chance(0.3))
	{
		# residual: a non-equality across the sides, or a condition on either
		my @n = cols_of_cat('n', @ls);
		my @m = cols_of_cat('n', @rs);
		push @c, (@n && @m && chance(0.5))
			? "$n[int rand @n][0] " . pick('<', '<=', '<>', '>') . " $m[int rand @m][0]"
			: pred(2, $MAX_DEPTH, [], @ls, @rs);
	}
	elsif (($type eq 'LEFT JOIN' || $type eq 'RIGHT JOIN') && chance(0.2))
	{
		# a non-equality across the sides, or a condition on the preserved side
		# (an int or text of the preserved side: the magic set of outer_magic.c)
		my ($pres, $null) = $type eq 'LEFT JOIN' ? (\@ls, \@rs) : (\@rs, \@ls);
		my @p = grep { $_->[1] eq 'int' || $_->[1] eq 'text' } @$pres;
		if (@p && chance(0.6))
		{
			my $pc = $p[int rand @p];
			my @same = grep { $_->[1] eq $pc->[1] } @$null;
			push @c, "$same[int rand @same][0] " . pick('<', '<=', '<>', '>') . " $pc->[0]" if @same;
		}
		elsif (@p)
		{
			my $pc = $p[int rand @p];
			push @c, $pc->[1] eq 'int' ? "$pc->[0] > 2" : "$pc->[0] < 'm'";
		}
	}
	elsif ($type eq 'LEFT JOIN' && chance(0.3))
	{
		push @c, pred(2, $MAX_DEPTH, [], @rs);    # on the nullable side
	}
	elsif ($type eq 'RIGHT JOIN' && chance(0.3))
	{
		push @c, pred(2, $MAX_DEPTH, [], @ls);
	}
	return join(' AND ', @c);
}

# Column names that a USING join may name: once on the left, once in $new.
sub using_names
{
	my ($left, $new) = @_;
	return () unless $new->{table};
	my %n;
	for my $rel (@$left) { $n{ $_->[0] }++ for @{ $rel->{cols} }; }
	my %type;
	for my $rel (@$left) { $type{ $_->[0] } = $_->[1] for @{ $rel->{cols} }; }
	return grep { ($n{ $_->[0] } // 0) == 1 && $type{ $_->[0] } eq $_->[1] } @{ $new->{cols} };
}

sub gen_from
{
	my ($depth, $ctes, $first) = @_;
	my $n = wpick(45 => 1, 38 => 2, 17 => 3);
	my @rels = ($first // gen_relation($depth, $ctes));
	my $sql = $rels[0]{from};
	my @where;
	my $crossed = 0;
	my $comma = 0;		# (a JOIN after a comma sees only the item before it)
	for my $j (2 .. $n)
	{
		my $new = gen_relation($depth, $ctes);
		my $type = wpick(
			48 => 'JOIN', 18 => 'LEFT JOIN', 8 => 'RIGHT JOIN', 9 => 'FULL JOIN',
			($crossed ? () : (8 => 'CROSS JOIN', ($j == $n ? (7 => ',') : ()))));
		if ($type eq 'CROSS JOIN' || $type eq ',')
		{
			$crossed = 1;
			$comma = 1 if $type eq ',';
			$sql .= $type eq ',' ? ", $new->{from}" : " CROSS JOIN $new->{from}";
			if ($type eq ',' && chance(0.6))
			{
				my $eq = corr_equality([scope_of(@rels)], [scope_of($new)]);
				push @where, $eq if $eq;
			}
			push @rels, $new;
			next;
		}
		my @using = ($type ne 'FULL JOIN') ? using_names(\@rels, $new) : ();
		if (@using && chance(0.2))
		{
			my %seen;
			my @names = grep { !$seen{$_}++ } map { $_->[0] } (pick(@using), pick(@using));
			$sql .= " $type $new->{from} USING (" . join(', ', @names) . ')';
			push @rels, $new;
			next;
		}
		my $on = join_condition($type, \@rels, $new, $depth, $ctes);
		if (!defined $on)
		{
			$crossed = 1;
			$sql .= " CROSS JOIN $new->{from}";
		}
		else
		{
			$sql .= " $type $new->{from} ON $on";
		}
		push @rels, $new;
	}
	# a LATERAL global aggregate over the rows so far now and then: one row
	# for each of them (correlated scalar subqueries, a magic set for an
	# inequality), in a comma list or as a LEFT JOIN ON a condition
	if ($depth < $MAX_DEPTH && chance(0.08))
	{
		my $rel = base_relation();
		my @in = scope_of($rel);
		my @n = cols_of_cat('n', @in);
		my $c = chance(0.5) ? corr_inequality([scope_of(@rels)], \@in) : corr_equality([scope_of(@rels)], \@in);
		if (@n && $c)
		{
			my ($m, $mt) = @{ pick(@n) };
			my $a = new_alias();
			my $sub = "LATERAL (SELECT count(*) AS lc, max($m) AS lm FROM $rel->{from} WHERE $c) $a";
			if (!$comma && chance(0.4))
			{
				# LEFT JOIN ... ON a condition: NULLs where it is not true
				my $on = "$a.lc > " . int(rand(3));
				my @outer_n = cols_of_cat('n', scope_of(@rels));
				if (@outer_n && chance(0.5))
				{
					my ($oc) = @{ pick(@outer_n) };
					$on = "($on OR $oc > " . int(rand(20)) . ")";
				}
				$sql .= " LEFT JOIN $sub ON $on";
			}
			else
			{
				$sql .= ", $sub";
			}
			push @rels, { from => '', alias => $a, cols => [['lc', 'big'], ['lm', $mt]] };
		}
	}
	return ($sql, \@rels, \@where);
}

# WHERE: conjuncts, and a subquery predicate, sometimes under OR or NOT
# (EXISTS there is a mark join, IN a three-valued one).
sub gen_where
{
	my ($depth, $ctes, $extra, @scope) = @_;
	my @c = @$extra;
	push @c, pred(1, $depth, $ctes, @scope) if chance(0.5);
	push @c, pred(1, $depth, $ctes, @scope) if chance(0.1);
	if (chance(0.22))
	{
		my $sp = subquery_pred($depth, $ctes, @scope);

		$sp = pick("($sp OR " . pred(1, $depth, $ctes, @scope) . ")", "NOT ($sp)") if chance(0.3);
		push @c, $sp;
	}
	return @c ? ' WHERE ' . join(' AND ', @c) : '';
}

# ---- aggregates

# An aggregate of category $cat over the scope: (sql, type).
sub gen_agg
{
	my ($cat, @scope) = @_;
	my @n = cols_of_cat('n', @scope);
	my @t = cols_of_cat('t', @scope);
	my $filter = chance(0.15) ? ' FILTER (WHERE ' . pred(2, $MAX_DEPTH, [], @scope) . ')' : '';
	return ("CASE WHEN count(*) > " . rint(1, 4) . " THEN 'many' ELSE 'few' END", 'text') if $cat eq 't' && !@t;
	$cat = 'n' if $cat eq 'a' && !@n && !@t;
	if ($cat eq 'n')
	{
		my ($c, $ty) = @n ? @{ pick(@n) } : ('1', 'int');
		my ($any) = @{ pick(@scope) };
		my ($sql, $type) = wpick(
			4 => sub { ('count(*)', 'big') },
			2 => sub { ("count($any)", 'big') },
			2 => sub { ("count(DISTINCT $c)", 'big') },
			4 => sub { ("sum($c)", $ty eq 'int' ? 'big' : 'num') },
			2 => sub { ("avg($c)", 'num') },
			3 => sub { (pick('min', 'max') . "($c)", $ty) },
			1 => sub { ('sum(CASE WHEN ' . pred(2, $MAX_DEPTH, [], @scope) . ' THEN 1 ELSE 0 END)', 'big') },
		)->();
		return ($sql . $filter, $type);
	}
	if ($cat eq 't')
	{
		my ($c) = @{ pick(@t) };
		my $e = chance(0.8) ? $c : "coalesce($c, '-')";
		my $sep = pick("','", "'|'", "''");
		return wpick(
			2 => sub { (pick('min', 'max') . "($e)$filter", 'text') },
			3 => sub {
				# ordered by its own argument (ties are equal strings): deterministic
				my @other = grep { $_->[0] ne $c && cat_of($_->[1]) =~ /^[nt]$/ } @scope;
				my $dir = pick('', ' DESC', ' NULLS FIRST', ' DESC NULLS LAST');
				my $ord = (@other && chance(0.35))
					? pick(@other)->[0] . pick('', ' DESC') . ", $e$dir" : "$e$dir";
				("string_agg($e, $sep ORDER BY $ord)$filter", 'text') },
			1 => sub { ("string_agg(DISTINCT $e, $sep ORDER BY $e)$filter", 'text') },
		)->();
	}
	if ($cat eq 'b')
	{
		my @b = cols_of_cat('b', @scope);
		my $arg = (@b && chance(0.4)) ? $b[0][0] : pred(2, $MAX_DEPTH, [], @scope);
		return (pick('bool_and', 'bool_or', 'every') . "($arg)$filter", 'bool');
	}
	# arrays, ordered by their own argument
	my ($c) = @{ pick(@n, @t) };
	return chance(0.25)
		? ("array_agg(DISTINCT $c ORDER BY $c)$filter", 'arr')
		: ("array_agg($c ORDER BY $c" . pick('', ' DESC', ' NULLS FIRST', ' DESC NULLS LAST') . ")$filter", 'arr');
}

sub gen_having
{
	my @scope = @_;
	my @c;
	for (1 .. rint(1, 2))
	{
		my $cat = wpick(6 => 'n', 2 => 't', 1 => 'b');
		my ($a, $t) = gen_agg($cat, @scope);
		push @c, $t eq 'bool' ? $a
			: $t eq 'text' ? "$a " . pick('<>', '>', '<=') . ' ' . const_of('text')
			: $a =~ /^count/ ? "$a " . pick('> ' . rint(0, 1), '>= ' . rint(1, 2), '< ' . rint(2, 5), '<> ' . rint(1, 2))
			: chance(0.2) ? "$a " . pick('>', '<=') . ' ' . (scalar_subquery($MAX_DEPTH, [], 'n'))[0]
			: "$a " . pick('>', '>=', '<', '<>', '<>') . ' ' . const_of($t);
	}
	return ' HAVING ' . join(pick(' AND ', ' OR '), @c);
}

# ---- SELECT

# The categories of a select list when the caller does not impose one.
sub free_cats
{
	my ($noarr, $agg) = @_;
	my @w = (6 => 'n', 4 => 't', 1 => 'b', (($noarr || !$agg) ? () : (1 => 'a')));
	return map { wpick(@w) } 1 .. rint(1, 4);
}

sub out_cols
{
	my @exprs = @_;
	my $i = 0;
	return map { ["c" . ++$i, $_->[1]] } @exprs;
}

sub select_list
{
	my @exprs = @_;
	my $i = 0;
	return join(', ', map { "$_->[0] AS c" . ++$i } @exprs);
}

# One SELECT (no set operation) of the given kind.
sub gen_select
{
	my ($depth, $kind, $opts) = @_;
	my $ctes = $opts->{ctes} // [];
	my ($from, $rels, $extra) = gen_from($depth, $ctes, $opts->{first});
	my @scope = grep { $_->[1] ne 'arr' } scope_of(@$rels);
	my $where = gen_where($depth, $ctes, $extra, @scope);
	my $agg = ($kind eq 'group' || $kind eq 'global' || $kind eq 'gsets');
	my @cats = $opts->{want} ? @{ $opts->{want} } : free_cats($opts->{noarr}, $agg);
	my @exprs;

	if ($kind eq 'plain' || $kind eq 'distinct')
	{
		@exprs = map { [expr_of_cat($_, $depth, $ctes, @scope)] } @cats;
		# set-returning functions in the select list now and then, two run
		# in lockstep (as many rows as the longer, NULLs past the shorter's end)
		my @sn = cols_of_cat('n', @scope);
		if ($depth == 0 && !$opts->{want} && @sn && chance(0.06))
		{
			my ($c, $t) = @{ pick(@sn) };
			push @exprs, ['generate_series(1, ' . rint(1, 3) . ')', 'int'];
			push @exprs, ["unnest(ARRAY[$c, $c + 1" . (chance(0.5) ? ", NULL" : '') . '])', $t] if chance(0.7);
		}
		my $d = $kind eq 'distinct' ? 'DISTINCT ' : '';
		my $order = ($depth == 0 && !$opts->{want} && chance(0.05)) ? ' ORDER BY 1' : '';
		return { sql => "SELECT $d" . select_list(@exprs) . " FROM $from$where$order", cols => [out_cols(@exprs)] };
	}
	if ($kind eq 'distinct_on')
	{
		# keys, then every selected expression: the first row of a group is
		# the same whatever the ties (they select equal values)
		@exprs = map { [expr_of_cat($_, $depth, $ctes, @scope)] } @cats;
		my @keyable = grep { cat_of($_->[1]) =~ /^[ntb]$/ } @scope;
		my @keys = map { pick(@keyable)->[0] } 1 .. rint(1, 2);
		my %seen;
		@keys = grep { !$seen{$_}++ } @keys;
		# (a constant integer would be read as a position: left out, it
		# orders nothing)
		my @order = ((map { $_ . pick('', ' DESC') } @keys),
			(map { $_->[0] . pick('', ' DESC', ' NULLS FIRST', ' DESC NULLS LAST') }
				grep { $_->[0] !~ /^\d+$/ } @exprs));
		return {
			sql => 'SELECT DISTINCT ON (' . join(', ', @keys) . ') ' . select_list(@exprs)
				. " FROM $from$where ORDER BY " . join(', ', @order),
			cols => [out_cols(@exprs)],
		};
	}
	if ($kind eq 'global')
	{
		@exprs = map { [gen_agg($_, @scope)] } @cats;
		my $having = chance(0.15) ? gen_having(@scope) : '';
		return { sql => 'SELECT ' . select_list(@exprs) . " FROM $from$where$having", cols => [out_cols(@exprs)] };
	}

	# GROUP BY: some places of the list are keys, the others aggregates
	my @keyable = grep { cat_of($_->[1]) =~ /^[ntb]$/ } @scope;
	my @keys;
	for my $cat (@cats)
	{
		my @k = grep { cat_of($_->[1]) eq $cat } @keyable;
		if (@k && $cat ne 'a' && chance(@keys ? 0.3 : 0.6))
		{
			my ($c, $t) = @{ pick(@k) };
			($c, $t) = ("coalesce($c, " . const_of($t) . ")", $t) if chance(0.1);
			($c, $t) = ("$c % 2", $t) if $cat eq 'n' && chance(0.1);
			push @keys, [$c, $t];
			push @exprs, [$c, $t];
		}
		else
		{
			push @exprs, [gen_agg($cat, @scope)];
		}
	}
	# a key that is not selected: several rows may be equal
	push @keys, [pick(@keyable)->[0], ''] if @keyable && (!@keys || chance(0.15));
	my %seen;
	my @k = grep { !$seen{$_}++ } map { $_->[0] } @keys;
	my $having = chance(0.25) ? gen_having(@scope) : '';
	# set-returning functions over the groups now and then (run after the
	# aggregation, over its rows)
	my @gn = cols_of_cat('n', @scope);
	if ($kind eq 'group' && $depth == 0 && !$opts->{want} && @gn && chance(0.08))
	{
		my ($c, $t) = @{ pick(@gn) };
		push @exprs, chance(0.5) ? ['generate_series(1, (count(*) % 3)::int)', 'int']
			: ["unnest(array_agg($c ORDER BY $c))", $t];
	}
	return { sql => 'SELECT ' . select_list(@exprs) . " FROM $from$where$having", cols => [out_cols(@exprs)] }
		unless @k;
	if ($kind eq 'gsets')
	{
		push @k, pick(@keyable)->[0] if @k == 1 && chance(0.7);
		%seen = ();
		@k = grep { !$seen{$_}++ } @k;
		my $all = join(', ', @k);
		my $gb = (@k == 1)
			? pick("ROLLUP ($all)", "GROUPING SETS (($all), ())", "CUBE ($all)")
			: pick("ROLLUP ($all)", (@k <= 3 ? "CUBE ($all)" : "ROLLUP ($all)"),
				"GROUPING SETS (($all), ($k[0]), ())", "GROUPING SETS (($all), ($k[-1]))",
				"$k[0], ROLLUP (" . join(', ', @k[1 .. $#k]) . ')');
		if (!$opts->{want} && chance(0.5))
		{
			push @exprs, ['GROUPING(' . join(', ', @k) . ')', 'int'];
		}
		return { sql => 'SELECT ' . select_list(@exprs) . " FROM $from$where GROUP BY $gb$having", cols => [out_cols(@exprs)] };
	}
	return { sql => 'SELECT ' . select_list(@exprs) . " FROM $from$where GROUP BY " . join(', ', @k) . $having,
		cols => [out_cols(@exprs)] };
}

# A set operation's side with the given column types: the query itself when
# its types are those, else the query wrapped with casts.
sub cast_to
{
	my ($q, $types) = @_;
	my @cols = @{ $q->{cols} };
	return $q unless grep { $cols[$_][1] ne $types->[$_] } 0 .. $#cols;
	my %sqltype = (int => 'int', big => 'bigint', num => 'numeric');
	my $a = new_alias();
	my @sel = map {
		my ($n, $t) = @{ $cols[$_] };
		($t eq $types->[$_] ? "$a.$n" : "$a.${n}::$sqltype{ $types->[$_] }") . " AS $n"
	} 0 .. $#cols;
	return {
		sql => 'SELECT ' . join(', ', @sel) . " FROM ($q->{sql}) $a",
		cols => [map { [$cols[$_][0], $types->[$_]] } 0 .. $#cols],
	};
}

# A query: a SELECT, a set operation of two queries, or (at the top) WITH.
#   opts: want => [categories] (a set operation's right branch),
#         noarr => 1 (no array columns), ctes => [...] in scope
sub gen_query
{
	my ($depth, $opts) = @_;
	$opts //= {};
	my $kind = wpick(
		28 => 'plain', 26 => 'group', 7 => 'global', 6 => 'gsets', 8 => 'distinct', 7 => 'distinct_on',
		($depth < $MAX_DEPTH ? (12 => 'setop') : ()),
		($depth == 0 && !$opts->{want} ? (7 => 'with') : ()));
	if ($kind eq 'setop')
	{
		my $l = gen_query($depth + 1, { %$opts, noarr => 1 });
		my @want = map { cat_of($_->[1]) } @{ $l->{cols} };
		my $r = gen_query($depth + 1, { ctes => $opts->{ctes}, want => \@want, noarr => 1 });
		my $op = pick('UNION', 'UNION ALL', 'INTERSECT', 'INTERSECT ALL', 'EXCEPT', 'EXCEPT ALL');
		if ($op !~ /UNION/ && chance(0.5))
		{
			# the left side again, filtered: INTERSECT and EXCEPT then have rows in common
			my $a = new_alias();
			my @in = map { ["$a.$_->[0]", $_->[1]] } @{ $l->{cols} };
			$r = {
				sql => 'SELECT ' . join(', ', map { "$in[$_][0] AS $l->{cols}[$_][0]" } 0 .. $#in)
					. " FROM ($l->{sql}) $a WHERE " . pred(2, $MAX_DEPTH, [], @in),
				cols => $l->{cols},
			};
		}
		# a set operation's column has the wider type of its two sides
		my @types = map { promote($l->{cols}[$_][1], $r->{cols}[$_][1]) } 0 .. $#{ $l->{cols} };
		if ($AVOID{'setop-types'})
		{
			$l = cast_to($l, \@types);
			$r = cast_to($r, \@types);
		}
		my @cols = map { [$l->{cols}[$_][0], $types[$_]] } 0 .. $#{ $l->{cols} };
		return { sql => "($l->{sql}) $op ($r->{sql})", cols => \@cols };
	}
	if ($kind eq 'with')
	{
		my @ctes = @{ $opts->{ctes} // [] };
		my @defs;
		for my $i (1 .. rint(1, 2))
		{
			my $q = gen_query($depth + 1, { ctes => [@ctes], noarr => 1 });
			my $name = "w$i";
			push @defs, "$name AS ($q->{sql})";
			push @ctes, { name => $name, cols => $q->{cols} };
		}
		# the body reads the last WITH query for sure
		my $a = new_alias();
		my $first = { from => "$ctes[-1]{name} $a", alias => $a, cols => $ctes[-1]{cols} };
		my $body = gen_select($depth, pick('plain', 'group', 'group', 'distinct', 'global'),
			{ %$opts, ctes => \@ctes, first => $first });
		return { sql => 'WITH ' . join(', ', @defs) . " $body->{sql}", cols => $body->{cols} };
	}
	return gen_select($depth, $kind, $opts);
}

# ---- refused constructs

# A query holding one construct that docs/sql.md lists as refused (all of
# them deterministic, so that a view accepted by mistake is still checked).
sub gen_refused
{
	my $r = base_relation('r');
	my $s = base_relation('s');
	my ($ra, $sa) = ($r->{alias}, $s->{alias});
	return pick(
		"SELECT $ra.k, rank() OVER (PARTITION BY $ra.g ORDER BY $ra.k) AS c2 FROM $r->{from}",
		"SELECT $ra.id, $ra.k FROM $r->{from} WHERE $ra.k NOT IN (SELECT $sa.k FROM $s->{from} WHERE $sa.k IS NOT NULL)",
		"SELECT $ra.id, $ra.g FROM $r->{from} WHERE $ra.k = 1 OR EXISTS (SELECT 1 FROM $s->{from} WHERE $sa.k = $ra.k)",
		"SELECT $ra.id, (SELECT max($sa.w) FROM $s->{from} WHERE $sa.k = $ra.k) AS c2 FROM $r->{from}",
		"SELECT $ra.id, $sa.id AS c2 FROM $r->{from} FULL JOIN $s->{from} ON $ra.k = $sa.k AND $ra.g < $sa.h",
		"SELECT $ra.id, $sa.w FROM $r->{from} LEFT JOIN $s->{from} ON $ra.k = $sa.k AND $ra.v > $sa.w",
		"SELECT $ra.id FROM $r->{from} WHERE EXISTS (SELECT 1 FROM $s->{from} WHERE $sa.k < $ra.k LIMIT 1)",
		"SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY $ra.k) AS c1 FROM $r->{from}",
	);
}

sub print_queries
{
	for my $i ($first .. $first + $count - 1)
	{
		srand($seed * 1000003 + $i);
		$ALIAS = 0;
		my $q = chance(0.035) ? gen_refused() : gen_query(0)->{sql};
		print "$q\n";
	}
}

if ($schema) { print_schema(); }
elsif ($dml) { print_dml(); }
else { print_queries(); }
