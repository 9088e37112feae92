using System.Data.Common;
using DuckDB.NET.Data;

namespace Hds.Storage.Cli.Audit;

/// <summary>
/// <c>hds audit query</c>: DuckDB in process over an export directory. The view <c>audit</c> reads every Parquet file of the export with
/// its Hive partitions (<c>tenant</c>, <c>day</c>) as columns; the SQL runs against it (and anything else DuckDB reads).
/// </summary>
internal static class AuditDuckDbQuery
{
    public static async Task<(List<string> Columns, List<object?[]> Rows)> RunAsync(string exportDirectory, string sql, CancellationToken cancellationToken)
    {
        var glob = Path.Combine(Path.GetFullPath(exportDirectory), "**", "*.parquet").Replace("'", "''", StringComparison.Ordinal);
        var connection = new DuckDBConnection("Data Source=:memory:");
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, $"CREATE VIEW audit AS SELECT * FROM read_parquet('{glob}', hive_partitioning = true, union_by_name = true)", cancellationToken)
                .ConfigureAwait(false);
            var command = connection.CreateCommand();
            await using (command.ConfigureAwait(false))
            {
                command.CommandText = sql;
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    var columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToList();
                    var rows = new List<object?[]>();
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        var row = new object?[reader.FieldCount];
                        for (var i = 0; i < row.Length; i++)
                        {
                            row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                        }

                        rows.Add(row);
                    }

                    return (columns, rows);
                }
            }
        }
    }

    private static async Task ExecuteAsync(DbConnection connection, string sql, CancellationToken cancellationToken)
    {
        var command = connection.CreateCommand();
        await using (command.ConfigureAwait(false))
        {
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
